// pulumi-stack.yml's `run` step: pulumi itself, then its report in the job summary, in the pull request's
// one comment for the stack (edited in place), and for a drift check in the stack's one drift issue.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../../project";
import { runStreaming } from "../cli";
import { Operation, pulumiArgs } from "../commands";
import { github, repositoryRoute } from "../github";
import { append, runUrl } from "../job";
import { driftIssueAction, findMarked, isDrift, marker, Marked, reportMarkdown } from "../report";

/** What the step runs: an operation on a stack, reported on `pullRequest` when there is one. */
interface RunRequest {
    readonly stack: string;
    readonly op: Operation;
    /** The pull request's number; "" when the run is for none. */
    readonly pullRequest: string;
    /** destroy: remove the stack and its config afterwards. */
    readonly remove: boolean;
}

/** pulumiArgs of the operation, with the stack's policy config when the repository has one. */
export function stackPulumiArgs(op: Operation, stack: string, remove: boolean): string[] {
    const policyConfig = path.join("policy", "config", `${stack}.json`);
    return pulumiArgs(op, stack, {
        policyConfig: fs.existsSync(path.join(REPO_ROOT, policyConfig)) ? policyConfig : undefined,
        remove,
    });
}

/** Runs pulumi and reports; pulumi's exit code. */
export async function runStep({ stack, op, pullRequest, remove }: RunRequest): Promise<number> {
    const args = stackPulumiArgs(op, stack, remove);
    console.log(`pulumi ${args.join(" ")}`);
    const { status, output } = await runStreaming("pulumi", args);
    const markdown = reportMarkdown({
        stack,
        command: op === "drift" ? "preview --refresh --expect-no-changes" : op,
        status,
        output,
        runUrl: runUrl(),
    });
    append("GITHUB_STEP_SUMMARY", markdown);
    if (pullRequest !== "") await upsertComment(pullRequest, stack, markdown);
    if (op === "drift") await driftIssue(stack, status, output);
    return status;
}

async function upsertComment(pr: string, stack: string, markdown: string): Promise<void> {
    const route = `${repositoryRoute()}/issues`;
    const comments = await github<Marked[]>("GET", `${route}/${pr}/comments?per_page=100`);
    const mine = findMarked(comments, marker("pulumi", stack));
    if (mine === undefined) await github("POST", `${route}/${pr}/comments`, { body: markdown });
    else await github("PATCH", `${route}/comments/${mine.id}`, { body: markdown });
    console.log(`${mine === undefined ? "posted" : "edited"} the ${stack} comment on pull request ${pr}`);
}

async function driftIssue(stack: string, status: number, output: string): Promise<void> {
    const found = isDrift(status, output);
    const route = `${repositoryRoute()}/issues`;
    // The issues API lists pull requests too; routes take an issue's number, not its id.
    const open = await github<(Marked & { number: number; pull_request?: object })[]>(
        "GET",
        `${route}?state=open&per_page=100`,
    );
    const issue = findMarked(
        open.filter((i) => i.pull_request === undefined),
        marker("drift", stack),
    );
    const action = driftIssueAction(stack, { found, output, runUrl: runUrl() }, issue);
    if (action.action === "create") {
        const created = await github<{ number: number }>("POST", route, {
            title: `Drift on stack ${stack}`,
            body: action.body,
        });
        console.log(`opened issue #${created.number}`);
    } else if (action.action === "update" && issue !== undefined) {
        await github("PATCH", `${route}/${issue.number}`, { body: action.body });
    } else if (action.action === "close" && issue !== undefined) {
        await github("POST", `${route}/${issue.number}/comments`, { body: action.comment });
        await github("PATCH", `${route}/${issue.number}`, { state: "closed", state_reason: "completed" });
    }
    const verdict = found ? "drift found" : status === 0 ? "no drift" : `the check failed (exit ${status})`;
    append("GITHUB_STEP_SUMMARY", `Drift check of \`${stack}\`: **${verdict}**; issue: ${action.action}`);
}
