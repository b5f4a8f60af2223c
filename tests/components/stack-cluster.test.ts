import * as assert from "node:assert/strict";
import { StackCluster } from "../../components/stack-cluster";
import { byName, K8S, referencedKubeconfig, runUnderMocks, secretValue } from "../helpers/mocks";

const GKE_STACK = "organization/three-tier-app/gke";
const REFERENCE = "pulumi:pulumi:StackReference";

describe("StackCluster", () => {
    it("reads the cluster stack's kubeconfig output through a StackReference and builds its provider from it", async () => {
        const { resources } = await runUnderMocks(() => new StackCluster("stack", { clusterStack: GKE_STACK }));
        assert.deepEqual(
            resources.map((r) => `${r.type} ${r.name}`),
            [`${REFERENCE} stack-reference`, `${K8S.provider} stack-k8s`],
        );
        assert.equal(byName(resources, REFERENCE, "stack-reference").inputs.name, GKE_STACK);
        const provider = byName(resources, K8S.provider, "stack-k8s").inputs;
        // Made a secret here, though the referenced output is not one.
        assert.equal(secretValue(provider.kubeconfig), referencedKubeconfig(GKE_STACK));
        assert.equal(provider.context, undefined);
        // The cluster outlives this stack: an unreachable cluster is an error, not a deleted namespace.
        assert.equal(provider.deleteUnreachable, undefined);
    });
});
