// The policy pack on the real engine: a PR check's `pulumi preview --policy-pack policy`.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { Cluster, clusterFromEnv } from "../../tools/engine/cluster";
import { createStack, removeStack, uniqueName } from "../../tools/engine/stacks";
import { REPO_ROOT } from "../../project";

const POLICY_PACK = path.join(REPO_ROOT, "policy");

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

    it("passes for the app as configured", async () => {
        const stack = await stackWith();
        const preview = await stack.preview({ policyPacks: [POLICY_PACK] });
        assert.ok((preview.changeSummary.create ?? 0) > 0);
    });

    it("fails for an unpinned image, naming the policy", async () => {
        const stack = await stackWith({ backendImage: "c1524db4f1/kubernetes-tutorial-backend:latest" });
        await assert.rejects(stack.preview({ policyPacks: [POLICY_PACK] }), /images-are-pinned/);
    });

    it("fails for the tutorial's root frontend unless the stack's policy config allows it", async () => {
        const tutorialFrontend = {
            frontendProfile: "tutorial",
            frontendImage: "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0",
        };
        const stack = await stackWith(tutorialFrontend);
        await assert.rejects(stack.preview({ policyPacks: [POLICY_PACK] }), /containers-run-as-non-root/);
        const allowed = await stack.preview({
            policyPacks: [POLICY_PACK],
            policyPackConfigs: [path.join(POLICY_PACK, "examples", "tutorial-frontend.json")],
        });
        assert.ok((allowed.changeSummary.create ?? 0) > 0);
    });
});
