// pulumi-stack.yml's `select` step: the stack is selected, created on its first `up` with its Cloud KMS
// key, reported absent, or the step fails with the CLI's error (tools/pipeline/stacks.ts decides).
import { run, runStreaming } from "../cli";
import { Operation } from "../commands";
import { append } from "../job";
import { secretsProviderFor, selectDecision } from "../stacks";

/** `pulumi stack select` → output exists; `review`: a new stack takes the review stacks' key. */
export async function selectStep(stack: string, op: Operation, review: boolean): Promise<number> {
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
            const provider = secretsProviderFor(review, process.env);
            console.log(`creating ${stack}, its secrets encrypted with ${provider}`);
            console.log(run("pulumi", ["stack", "init", stack, "--secrets-provider", provider]));
            break;
        }
    }
    append("GITHUB_OUTPUT", "exists=true");
    return 0;
}
