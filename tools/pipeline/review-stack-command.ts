// `npm run review-stack`: a developer's hands on the review stack of a pull request, pr-<number>, made as
// review-stacks.yml makes it (the committed template, the same pulumi command lines and policy pack) in
// the cluster of a stack that hosts review stacks (gke, or a kubeconfig stack with reviewStacks). After a
// destroy it reads that cluster for anything left in the namespace.
import { run, runStreaming, stackNames } from "./cli";
import { Operation } from "./commands";
import { leftoverReport, namespaceState } from "./leftovers";
import { pullRequestStack } from "./review-stacks";
import { reviewConfigStep } from "./steps/review";
import { stackPulumiArgs } from "./steps/run";

/** What a developer runs on a review stack. */
export type ReviewStackOperation = Extract<Operation, "preview" | "up" | "destroy">;

/** The stack's full name (organization/project/stack on a DIY backend): what a StackReference takes. */
function fullyQualified(stack: string): string {
    try {
        return run("pulumi", ["stack", "--show-name", "--fully-qualify-stack-names", "--stack", stack]).trim();
    } catch {
        throw new Error(`no stack ${stack} in this backend to host the review stack: deploy it first`);
    }
}

/** Runs `op` on the review stack of `pullRequest` in `clusterStack`'s cluster; the exit code. */
export async function reviewStackCommand(
    op: ReviewStackOperation,
    pullRequest: number,
    clusterStack: string,
): Promise<number> {
    const stack = pullRequestStack(pullRequest);
    const exists = stackNames().includes(stack);
    if (!exists && op === "destroy") {
        console.error(`no stack ${stack}: nothing to destroy`);
        return 1;
    }
    const cluster = fullyQualified(clusterStack);
    reviewConfigStep(stack, cluster);
    if (!exists) {
        // No --secrets-provider: the backend's default (the passphrase of scripts/toolchain.sh env), not CI's key.
        console.log(run("pulumi", ["stack", "init", "--no-select", stack]));
    }
    const { status } = await runStreaming("pulumi", stackPulumiArgs(op, stack, true));
    if (op !== "destroy" || status !== 0) return status;
    return leftoverCheck(stack, cluster);
}

/** Reports what the cluster still holds of the destroyed stack's namespace (the template names it after the stack). */
async function leftoverCheck(namespace: string, clusterStack: string): Promise<number> {
    let report: ReturnType<typeof leftoverReport>;
    try {
        const kubeconfig = run("pulumi", ["stack", "output", "kubeconfig", "--show-secrets", "--stack", clusterStack]);
        report = leftoverReport(namespace, await namespaceState(kubeconfig, namespace));
    } catch (e) {
        console.log(
            `could not check namespace ${namespace} for leftovers (stack ${clusterStack}): ${(e as Error).message}`,
        );
        return 0;
    }
    (report.clean ? console.log : console.error)(report.lines.join("\n"));
    return report.clean ? 0 : 1;
}
