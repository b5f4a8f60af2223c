// Entry point of the CI steps that need more than a shell line; the decisions live in tools/pipeline/*.ts
// (unit-tested), this file does the I/O: the pulumi and gcloud CLIs, the GitHub API, the job's files.
//
//   npm run --silent pipeline -- <command> [--name value ...]   (package.json: ts-node --transpile-only)
//
//   review-decision                        pull_request event → outputs action (up|destroy|none), stack
//   review-sweep [--only S]                review stacks whose pull request is closed/unlabelled (or S) → output stacks
//   review-config --stack S --cluster-stack O/P/S
//                                          Pulumi.<S>.yaml from .github/review-stack/Pulumi.template.yaml
//   select --stack S --operation O [--review true]
//                                          pulumi stack select → output exists; an up creates a missing stack
//                                          with its Cloud KMS key; a backend error fails the step
//   recover --stack S                      stale lock of a cancelled run → pulumi cancel; pending operations → refresh
//   run --stack S --operation preview|up|destroy|drift [--pull-request N] [--remove true]
//                                          runs pulumi; job summary; the pull request's one comment for S
//                                          (edited in place); drift: opens/updates/closes the one drift issue
//
// Environment: what GitHub Actions sets (GITHUB_*), PULUMI_BACKEND_URL, GITHUB_TOKEN for the API, and
// for `select` the Cloud KMS keys of new stacks (GKE_SECRETS_PROVIDER, REVIEW_SECRETS_PROVIDER).
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { operation, pulumiArgs } from "../tools/pipeline/commands";
import { driftIssueAction, findMarked, isDrift, marker, Marked, reportMarkdown } from "../tools/pipeline/report";
import {
    PullRequestState,
    pullRequestOf,
    renderReviewConfig,
    reviewDecision,
    sweepSelection,
} from "../tools/pipeline/review-stacks";
import {
    cloudLockHolders,
    diyLockHolder,
    diyLockKeys,
    HistoryEntry,
    LockHolder,
    lockDecision,
    PendingOperation,
    pendingDecision,
} from "../tools/pipeline/stale-lock";
import { secretsProviderFor, selectDecision } from "../tools/pipeline/stacks";
import { PROJECT, REPO_ROOT } from "../project";

const TEMPLATE = path.join(REPO_ROOT, ".github", "review-stack", "Pulumi.template.yaml");

const env = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`${name} is not set`);
    return value;
};

function options(argv: readonly string[]): Map<string, string> {
    const result = new Map<string, string>();
    for (let i = 0; i < argv.length; i += 2) {
        const [name, value] = [argv[i], argv[i + 1]];
        if (!name.startsWith("--") || value === undefined) throw new Error(`expected --name value, got "${name}"`);
        result.set(name.slice(2), value);
    }
    return result;
}

const required = (opts: Map<string, string>, name: string): string => {
    const value = opts.get(name);
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
};

/** Appends to a GitHub Actions file (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) when the job has it. */
function append(variable: "GITHUB_OUTPUT" | "GITHUB_STEP_SUMMARY", text: string): void {
    const file = process.env[variable];
    if (file !== undefined && file !== "") fs.appendFileSync(file, text.endsWith("\n") ? text : `${text}\n`);
}

const run = (command: string, args: readonly string[]): string =>
    execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });

async function github<T>(method: string, route: string, body?: object): Promise<T> {
    const response = await fetch(`${process.env.GITHUB_API_URL ?? "https://api.github.com"}${route}`, {
        method,
        headers: {
            authorization: `Bearer ${env("GITHUB_TOKEN")}`,
            accept: "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`GitHub ${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
}

const runUrl = () =>
    `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${env("GITHUB_REPOSITORY")}/actions/runs/${env("GITHUB_RUN_ID")}`;

/** The short names of this project's stacks in the backend (a backend may list org/project/name). */
const stackNames = (): string[] =>
    (JSON.parse(run("pulumi", ["stack", "ls", "--json"])) as { name: string }[]).map((s) =>
        s.name.replace(/^.*\//, ""),
    );

function reviewDecisionStep(): number {
    const event = JSON.parse(fs.readFileSync(env("GITHUB_EVENT_PATH"), "utf8"));
    const pr = event.pull_request;
    let decision = reviewDecision({
        action: event.action,
        number: pr.number,
        label: event.label?.name,
        labels: (pr.labels ?? []).map((l: { name: string }) => l.name),
        headRepository: pr.head?.repo?.full_name ?? "",
        repository: env("GITHUB_REPOSITORY"),
    });
    // Most closed pull requests never had a stack: no need to wait for the review environment's approval.
    if (decision.action === "destroy" && !stackNames().includes(decision.stack)) {
        decision = { ...decision, action: "none", reason: `${decision.reason}: there is no stack ${decision.stack}` };
    }
    console.log(decision.reason);
    append("GITHUB_OUTPUT", `action=${decision.action}\nstack=${decision.stack}`);
    append("GITHUB_STEP_SUMMARY", `Review stack \`${decision.stack}\`: **${decision.action}** (${decision.reason})`);
    return 0;
}

async function reviewSweepStep(opts: Map<string, string>): Promise<number> {
    const stacks = stackNames().filter((s) => pullRequestOf(s) !== undefined);
    const only = opts.get("only") ?? "";
    if (only !== "") {
        if (!stacks.includes(only))
            throw new Error(`no review stack named "${only}" (review stacks: ${stacks.join(", ") || "none"})`);
        append("GITHUB_OUTPUT", `stacks=${JSON.stringify([only])}`);
        append("GITHUB_STEP_SUMMARY", `Destroying the requested review stack \`${only}\``);
        return 0;
    }
    const states = new Map<number, PullRequestState>();
    for (const stack of stacks) {
        const number = pullRequestOf(stack) as number;
        try {
            const pr = await github<{ state: string; merged_at: string | null; labels: { name: string }[] }>(
                "GET",
                `/repos/${env("GITHUB_REPOSITORY")}/pulls/${number}`,
            );
            const state = pr.state === "open" ? "OPEN" : pr.merged_at === null ? "CLOSED" : "MERGED";
            states.set(number, { state, labels: pr.labels.map((l) => l.name) });
        } catch (e) {
            console.log(`${stack}: pull request ${number} unknown, kept (${(e as Error).message})`);
            states.set(number, { labels: [] });
        }
    }
    const selected = sweepSelection(stacks, states);
    console.log(`review stacks: ${stacks.join(", ") || "none"}; destroying: ${selected.join(", ") || "none"}`);
    append("GITHUB_OUTPUT", `stacks=${JSON.stringify(selected)}`);
    append(
        "GITHUB_STEP_SUMMARY",
        `Review stacks found: ${stacks.length}; destroying: ${selected.join(", ") || "none"}`,
    );
    return 0;
}

function reviewConfigStep(opts: Map<string, string>): number {
    const stack = required(opts, "stack");
    const rendered = renderReviewConfig(fs.readFileSync(TEMPLATE, "utf8"), {
        STACK: stack,
        CLUSTER_STACK: required(opts, "cluster-stack"),
    });
    fs.writeFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), rendered);
    console.log(`wrote Pulumi.${stack}.yaml from ${path.relative(REPO_ROOT, TEMPLATE)}`);
    return 0;
}

async function selectStep(opts: Map<string, string>): Promise<number> {
    const stack = required(opts, "stack");
    const op = operation(required(opts, "operation"));
    const decision = selectDecision(stack, op, await runStreaming("pulumi", ["stack", "select", stack]));
    switch (decision.action) {
        case "fail":
            // The CLI's error may name the bucket: the log masks it, the summary shows only the verdict.
            console.error(`${decision.message}:\n${decision.error}`);
            append("GITHUB_STEP_SUMMARY", `${decision.message}; the step's log has the CLI's error`);
            return 1;
        case "absent":
            console.log(decision.message);
            append("GITHUB_OUTPUT", "exists=false");
            append("GITHUB_STEP_SUMMARY", decision.message);
            return 0;
        case "create": {
            const provider = secretsProviderFor(opts.get("review") === "true", process.env);
            console.log(`creating ${stack}, its secrets encrypted with ${provider}`);
            console.log(run("pulumi", ["stack", "init", stack, "--secrets-provider", provider]));
            break;
        }
    }
    append("GITHUB_OUTPUT", "exists=true");
    return 0;
}

/** Lock holders of the stack on the backend in PULUMI_BACKEND_URL; undefined when it cannot list them. */
function lockHolders(stack: string, ciUser: string): LockHolder[] | undefined {
    const backend = process.env.PULUMI_BACKEND_URL ?? "";
    if (backend === "" || backend.startsWith("https://")) {
        const history = JSON.parse(
            run("pulumi", ["stack", "history", "--json", "--page-size", "5", "--stack", stack]),
        ) as HistoryEntry[];
        return cloudLockHolders(history);
    }
    if (backend.startsWith("gs://")) {
        const root = `${backend.replace(/\/+$/, "")}/.pulumi/locks/`;
        let keys: string[];
        try {
            keys = run("gcloud", ["storage", "ls", `${root}**`])
                .split("\n")
                .filter(Boolean);
        } catch {
            return []; // no lock directory at all: never locked
        }
        return diyLockKeys(keys, PROJECT, stack).map((key) =>
            diyLockHolder(key, run("gcloud", ["storage", "cat", key]), ciUser),
        );
    }
    if (backend.startsWith("file://")) {
        const root = path.join(backend.slice("file://".length).replace(/^~(?=\/)/, os.homedir()), ".pulumi", "locks");
        const keys = fs.existsSync(root)
            ? (fs.readdirSync(root, { recursive: true }) as string[]).map((k) => path.join(root, k))
            : [];
        return diyLockKeys(keys, PROJECT, stack).map((key) => diyLockHolder(key, fs.readFileSync(key, "utf8"), ciUser));
    }
    return undefined;
}

function recoverStep(opts: Map<string, string>): number {
    const stack = required(opts, "stack");
    if (!stackNames().includes(stack)) {
        console.log(`${stack}: no such stack yet, nothing to recover`);
        return 0;
    }
    const notes: string[] = [];
    const holders = lockHolders(stack, os.userInfo().username);
    if (holders === undefined) {
        notes.push(
            `${stack}: this backend's locks cannot be listed here; a stale lock stops the update with its own message`,
        );
    } else {
        const decision = lockDecision(stack, holders, new Date());
        notes.push(decision.message);
        if (decision.action === "stop") return finish(notes, 1);
        if (decision.action === "cancel") console.log(run("pulumi", ["cancel", "--yes", "--stack", stack]));
    }
    const state = JSON.parse(run("pulumi", ["stack", "export", "--stack", stack])) as {
        deployment?: { pending_operations?: PendingOperation[] };
    };
    const pending = pendingDecision(stack, state.deployment?.pending_operations ?? []);
    if (pending.action !== "none") notes.push(pending.message);
    if (pending.action === "stop") return finish(notes, 1);
    if (pending.action === "refresh") {
        console.log(run("pulumi", ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]));
    }
    return finish(notes, 0);
}

function finish(notes: readonly string[], code: number): number {
    (code === 0 ? console.log : console.error)(notes.join("\n"));
    append("GITHUB_STEP_SUMMARY", ["```", ...notes, "```"].join("\n"));
    return code;
}

/** Runs a command, its output streamed to this process's and kept for the report. */
function runStreaming(command: string, args: readonly string[]): Promise<{ status: number; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
        const chunks: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => (chunks.push(chunk), process.stdout.write(chunk)));
        child.stderr.on("data", (chunk: Buffer) => (chunks.push(chunk), process.stderr.write(chunk)));
        child.on("error", reject);
        child.on("close", (code) => resolve({ status: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
    });
}

async function runStep(opts: Map<string, string>): Promise<number> {
    const stack = required(opts, "stack");
    const op = operation(required(opts, "operation"));
    const policyConfig = path.join("policy", "config", `${stack}.json`);
    const args = pulumiArgs(op, stack, {
        policyConfig: fs.existsSync(path.join(REPO_ROOT, policyConfig)) ? policyConfig : undefined,
        remove: opts.get("remove") === "true",
    });
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
    const pr = opts.get("pull-request") ?? "";
    if (pr !== "") await upsertComment(pr, stack, markdown);
    if (op === "drift") await driftIssue(stack, status, output);
    return status;
}

async function upsertComment(pr: string, stack: string, markdown: string): Promise<void> {
    const route = `/repos/${env("GITHUB_REPOSITORY")}/issues`;
    const comments = await github<Marked[]>("GET", `${route}/${pr}/comments?per_page=100`);
    const mine = findMarked(comments, marker("pulumi", stack));
    if (mine === undefined) await github("POST", `${route}/${pr}/comments`, { body: markdown });
    else await github("PATCH", `${route}/comments/${mine.id}`, { body: markdown });
    console.log(`${mine === undefined ? "posted" : "edited"} the ${stack} comment on pull request ${pr}`);
}

async function driftIssue(stack: string, status: number, output: string): Promise<void> {
    const found = isDrift(status, output);
    const route = `/repos/${env("GITHUB_REPOSITORY")}/issues`;
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

async function main(argv: readonly string[]): Promise<number> {
    const [command, ...rest] = argv;
    const opts = options(rest);
    switch (command) {
        case "review-decision":
            return reviewDecisionStep();
        case "review-sweep":
            return reviewSweepStep(opts);
        case "review-config":
            return reviewConfigStep(opts);
        case "select":
            return selectStep(opts);
        case "recover":
            return recoverStep(opts);
        case "run":
            return runStep(opts);
        default:
            throw new Error(`unknown command "${command ?? ""}"`);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e) => {
            console.error((e as Error).message);
            process.exitCode = 1;
        },
    );
}
