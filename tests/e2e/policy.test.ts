// The policy pack on the real engine: a PR check's `pulumi preview --policy-pack policy`. Each preview's
// policy summaries (the engine's policyAnalyzeSummaryEvent per resource, policyAnalyzeStackSummaryEvent for
// the stack) say which policies ran and passed and which failed: a case asserts both lists, not only
// the outcome of the preview.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { POLICIES } from "../../policy/policies";
import { Cluster, clusterFromEnv } from "../../tools/engine/cluster";
import { createStack, removeStack, uniqueName } from "../../tools/engine/stacks";
import { REPO_ROOT } from "../../project";

const POLICY_PACK = path.join(REPO_ROOT, "policy");
const ALL_POLICIES = POLICIES.map((p) => p.name).sort();

/** The summary events this SDK's EngineEvent type does not declare yet (the engine sends them). */
interface PolicySummary {
    readonly passed?: string[];
    readonly failed?: string[];
}
type WithSummaries = EngineEvent & {
    policyAnalyzeSummaryEvent?: PolicySummary;
    policyAnalyzeStackSummaryEvent?: PolicySummary;
};

interface PolicyOutcome {
    /** Policies that ran and passed everywhere they ran. */
    readonly passed: string[];
    /** Policies with at least one violation. */
    readonly failed: string[];
    /** The preview's error, when a mandatory policy failed it. */
    readonly error?: Error;
}

async function previewUnderPack(stack: Stack, policyPackConfigs?: string[]): Promise<PolicyOutcome> {
    const events: WithSummaries[] = [];
    let error: Error | undefined;
    try {
        await stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs, onEvent: (e) => events.push(e) });
    } catch (e) {
        error = e as Error;
    }
    const summaries = events.flatMap((e) => [e.policyAnalyzeSummaryEvent, e.policyAnalyzeStackSummaryEvent]);
    const failed = new Set(summaries.flatMap((s) => s?.failed ?? []));
    const ran = new Set(summaries.flatMap((s) => [...(s?.passed ?? []), ...(s?.failed ?? [])]));
    return { passed: [...ran].filter((p) => !failed.has(p)).sort(), failed: [...failed].sort(), error };
}

describe("engine: preview under the policy pack", function () {
    this.timeout(10 * 60 * 1000);
    let cluster: Cluster;
    const stacks: Stack[] = [];

    before(() => {
        cluster = clusterFromEnv();
    });

    after(async () => {
        for (const stack of stacks) await removeStack(stack);
    });

    async function stackWith(config: Record<string, string> = {}): Promise<Stack> {
        const name = uniqueName("e2e-policy");
        const stack = await createStack(name, cluster, name, config);
        stacks.push(stack);
        return stack;
    }

    it("passes for the app as configured: every policy of the pack runs, none fails", async () => {
        const outcome = await previewUnderPack(await stackWith());
        assert.equal(outcome.error, undefined);
        assert.deepEqual(outcome, { passed: ALL_POLICIES, failed: [], error: undefined });
    });

    it("fails for an unpinned image, on images-are-pinned alone", async () => {
        const outcome = await previewUnderPack(
            await stackWith({ backendImage: "c1524db4f1/kubernetes-tutorial-backend:latest" }),
        );
        assert.deepEqual(outcome.failed, ["images-are-pinned"]);
        assert.match(String(outcome.error), /images-are-pinned/);
    });

    it("fails for the tutorial's root frontend on containers-run-as-non-root, unless the stack's policy config allows it", async () => {
        const stack = await stackWith({
            frontendProfile: "tutorial",
            frontendImage: "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0",
        });
        const refused = await previewUnderPack(stack);
        assert.deepEqual(refused.failed, ["containers-run-as-non-root"]);
        assert.match(String(refused.error), /containers-run-as-non-root/);
        const allowed = await previewUnderPack(stack, [path.join(POLICY_PACK, "examples", "tutorial-frontend.json")]);
        assert.deepEqual([allowed.failed, allowed.error], [[], undefined]);
    });
});
