// The review-stacks.yml and pulumi-stack.yml steps of review stacks: what a pull-request event does, which
// stacks the sweep destroys, and the stack file rendered from the committed template.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../../project";
import { stackNames } from "../cli";
import { github, repositoryRoute } from "../github";
import { append, requiredEnv } from "../job";
import { PullRequestState, pullRequestOf, renderReviewConfig, reviewDecision, sweepSelection } from "../review-stacks";

const TEMPLATE = path.join(REPO_ROOT, ".github", "review-stack", "Pulumi.template.yaml");

/** The pull_request event of the job → outputs action (up|destroy|none) and stack. */
export function reviewDecisionStep(): number {
    const event = JSON.parse(fs.readFileSync(requiredEnv("GITHUB_EVENT_PATH"), "utf8"));
    const pr = event.pull_request;
    let decision = reviewDecision({
        action: event.action,
        number: pr.number,
        label: event.label?.name,
        labels: (pr.labels ?? []).map((l: { name: string }) => l.name),
        headRepository: pr.head?.repo?.full_name ?? "",
        repository: requiredEnv("GITHUB_REPOSITORY"),
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

/** The review stacks to destroy → output stacks: `only` when given, else those sweepSelection picks. */
export async function reviewSweepStep(only: string): Promise<number> {
    const stacks = stackNames().filter((s) => pullRequestOf(s) !== undefined);
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
                `${repositoryRoute()}/pulls/${number}`,
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

/** Writes Pulumi.<stack>.yaml from the template: `stack` in the cluster of `clusterStack` (fully qualified). */
export function reviewConfigStep(stack: string, clusterStack: string): number {
    const rendered = renderReviewConfig(fs.readFileSync(TEMPLATE, "utf8"), {
        STACK: stack,
        CLUSTER_STACK: clusterStack,
    });
    fs.writeFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), rendered);
    console.log(`wrote Pulumi.${stack}.yaml from ${path.relative(REPO_ROOT, TEMPLATE)}`);
    return 0;
}
