// What a run reports: the job summary, the one pull-request comment per stack (found again by its
// marker and edited in place), and the one drift issue. Pure; steps/run.ts does the API calls.

/** GitHub refuses comment and issue bodies longer than this. */
export const MAX_BODY = 65536;

/** The hidden line that identifies our comment or issue among others. */
export function marker(kind: "pulumi" | "drift", stack: string): string {
    return `<!-- three-tier-app:${kind}:${stack} -->`;
}

/** An outcome of one pulumi command in CI. */
interface RunReport {
    readonly stack: string;
    readonly command: string;
    /** The command's exit status. */
    readonly status: number;
    /** Its output (stdout and stderr). */
    readonly output: string;
    /** Link to the run. */
    readonly runUrl: string;
    /** Extra lines, e.g. the recovery step's findings or the reason a step was skipped. */
    readonly notes?: readonly string[];
}

/** ANSI colour codes: pulumi prints them when it thinks it has a terminal; markdown shows them as noise. */
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");

/** Markdown for the summary and the comment: a header line, the notes, the output's tail in a code block. */
export function reportMarkdown(report: RunReport, limit = MAX_BODY): string {
    const verdict = report.status === 0 ? "succeeded" : `failed (exit ${report.status})`;
    const head = [
        marker("pulumi", report.stack),
        `#### \`pulumi ${report.command}\` on \`${report.stack}\`: ${verdict}`,
        "",
        ...(report.notes ?? []).map((n) => `> ${n}`),
        `[run log](${report.runUrl})`,
        "",
    ].join("\n");
    const open = "<details><summary>output</summary>\n\n```\n";
    const close = "\n```\n</details>\n";
    const output = stripAnsi(report.output).trimEnd();
    const room = limit - head.length - open.length - close.length;
    if (room <= 0) throw new Error(`report header alone is longer than ${limit} characters`);
    // The end of the output holds the summary and any error, so that is what is kept.
    const cut = "…(earlier output cut; see the run log)\n";
    const body = output.length <= room ? output : cut + output.slice(output.length - (room - cut.length));
    return head + open + body + close;
}

/** A comment or issue as the GitHub API lists it. */
export interface Marked {
    readonly id: number;
    readonly body?: string | null;
}

/** The first item whose body carries `mark`. */
export function findMarked<T extends Marked>(items: readonly T[], mark: string): T | undefined {
    return items.find((item) => (item.body ?? "").includes(mark));
}

type DriftIssueAction =
    | { readonly action: "create" | "update"; readonly body: string }
    | { readonly action: "close"; readonly comment: string }
    | { readonly action: "none" };

/**
 * One open issue per stack tracks drift: opened on the first drift, its body replaced on each later
 * one, closed with a comment once a run finds none.
 */
export function driftIssueAction(
    stack: string,
    drift: { found: boolean; output: string; runUrl: string },
    open: Marked | undefined,
): DriftIssueAction {
    if (!drift.found) {
        return open === undefined
            ? { action: "none" }
            : { action: "close", comment: `No drift on \`${stack}\` any more ([run](${drift.runUrl})).` };
    }
    const report = reportMarkdown(
        {
            stack,
            command: "preview --refresh --expect-no-changes",
            status: 1,
            output: drift.output,
            runUrl: drift.runUrl,
            notes: [
                `The live resources of \`${stack}\` differ from its Pulumi state or program. ` +
                    "`pulumi up` would change them back; `pulumi refresh` would accept them.",
            ],
        },
        MAX_BODY - marker("drift", stack).length - 1,
    );
    const body = `${marker("drift", stack)}\n${report}`;
    return { action: open === undefined ? "create" : "update", body };
}

/** `pulumi preview --expect-no-changes` exits non-zero both on changes and on errors; this tells them apart. */
export function isDrift(status: number, output: string): boolean {
    return status !== 0 && /no changes were expected (for \S+ )?but changes were proposed/.test(output);
}
