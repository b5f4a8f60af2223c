import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { statelessTier } from "../../components/stateless-tier";
import { referencedImage } from "../../components/workload";
import { byKubeName, K8S, runUnderMocks } from "../helpers/mocks";

class Parent extends pulumi.ComponentResource {
    constructor(opts: pulumi.ComponentResourceOptions) {
        super("test:index:Parent", "parent", {}, opts);
    }
}

function build(
    serviceType: "ClusterIP" | "LoadBalancer",
    allowFrom: Record<string, string> | "anywhere",
    replicas = 3,
) {
    return runUnderMocks(() => {
        const provider = new k8s.Provider("test", {});
        return statelessTier(new Parent({ providers: [provider] }), "tier", {
            namespace: "ns",
            instance: "review-7",
            tier: "backend",
            names: { deployment: "d", service: "s", disruptionBudget: "b", networkPolicy: "n" },
            image: referencedImage("api:1.2"),
            replicas,
            podSpec: { containers: [{ name: "c", image: "api:1.2", ports: [{ name: "http", containerPort: 9000 }] }] },
            serviceType,
            servicePort: 80,
            containerPort: 9000,
            allowFrom,
        });
    });
}

describe("statelessTier", () => {
    for (const replicas of [0, 21, 1.5]) {
        it(`refuses ${replicas} replicas, outside REPLICAS_RANGE`, () =>
            assert.rejects(build("ClusterIP", "anywhere", replicas), {
                message: `tier: replicas must be a whole number from 1 to 20 (got ${replicas})`,
            }));
    }

    it("registers a Deployment, Service, PDB and NetworkPolicy under the given names and provider", async () => {
        const { resources } = await build("ClusterIP", { service: "nginx" });
        assert.deepEqual(
            resources
                .filter((r) => r.type !== K8S.provider)
                .map((r) => `${r.type} ${r.name} ${r.kubeName}`)
                .sort(),
            [
                `${K8S.deployment} tier-deployment d`,
                `${K8S.service} tier-service s`,
                `${K8S.disruptionBudget} tier-pdb b`,
                `${K8S.networkPolicy} tier-ingress n`,
            ].sort(),
        );
        for (const r of resources.filter((r) => r.type !== K8S.provider)) {
            assert.equal(r.inputs.metadata.namespace, "ns");
            assert.equal(r.inputs.metadata.labels["app.kubernetes.io/instance"], "review-7", r.type);
            assert.match(r.provider ?? "", /pulumi:providers:kubernetes::test::test-id$/);
        }
    });

    it("selects the pods it creates, and labels only the workload with the version", async () => {
        const { resources } = await build("ClusterIP", { service: "nginx" });
        const deployment = byKubeName(resources, K8S.deployment, "d").inputs;
        assert.equal(deployment.spec.replicas, 3);
        assert.deepEqual(deployment.spec.selector.matchLabels, { app: "web", service: "app" });
        assert.equal(deployment.spec.template.metadata.labels["app.kubernetes.io/version"], "1.2");
        assert.equal(deployment.spec.template.metadata.labels["app.kubernetes.io/instance"], "review-7");
        assert.equal(deployment.metadata.labels["app.kubernetes.io/version"], "1.2");
        const service = byKubeName(resources, K8S.service, "s").inputs;
        assert.deepEqual(service.spec, {
            type: "ClusterIP",
            selector: { app: "web", service: "app" },
            ports: [{ name: "http", port: 80, targetPort: "http" }],
        });
        assert.equal(service.metadata.labels["app.kubernetes.io/version"], undefined);
        assert.deepEqual(service.metadata.annotations, { "pulumi.com/skipAwait": "true" });
    });

    it("opens the container port to the given clients, or to anyone", async () => {
        const from = (await build("ClusterIP", { service: "nginx" })).resources;
        assert.deepEqual(byKubeName(from, K8S.networkPolicy, "n").inputs.spec.ingress, [
            {
                from: [{ podSelector: { matchLabels: { service: "nginx" } } }],
                ports: [{ protocol: "TCP", port: 9000 }],
            },
        ]);
        const anywhere = (await build("LoadBalancer", "anywhere")).resources;
        assert.deepEqual(byKubeName(anywhere, K8S.networkPolicy, "n").inputs.spec.ingress, [
            { ports: [{ protocol: "TCP", port: 9000 }] },
        ]);
        assert.deepEqual(byKubeName(anywhere, K8S.service, "s").inputs.metadata.annotations, {});
    });
});
