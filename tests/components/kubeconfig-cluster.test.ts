import * as assert from "node:assert/strict";
import { KubeconfigCluster } from "../../components/kubeconfig-cluster";
import { K8S, ofType, runUnderMocks } from "../helpers/mocks";

describe("KubeconfigCluster", () => {
    it("makes one Kubernetes provider for the given context and kubeconfig", async () => {
        const { resources } = await runUnderMocks(
            () => new KubeconfigCluster("kubeconfig", { kubeContext: "minikube", kubeconfig: "/tmp/kc" }),
        );
        const providers = ofType(resources, K8S.provider);
        assert.equal(providers.length, 1);
        assert.equal(providers[0].name, "kubeconfig-k8s");
        assert.equal(providers[0].inputs.context, "minikube");
        assert.equal(providers[0].inputs.kubeconfig, "/tmp/kc");
        assert.equal(providers[0].inputs.deleteUnreachable, "true");
        assert.equal(resources.filter((r) => r.type.startsWith("gcp:")).length, 0);
    });
});
