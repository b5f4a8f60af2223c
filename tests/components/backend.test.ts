import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Backend } from "../../components/backend";
import { referencedImage } from "../../components/workload";
import { byKubeName, K8S, ofType, runUnderMocks, unwrap } from "../helpers/mocks";

function build(extra: { redisPassword?: { name: pulumi.Output<string>; key: string }; readinessPath?: string } = {}) {
    return runUnderMocks(() => {
        const provider = new k8s.Provider("test", {});
        const backend = new Backend(
            "backend",
            {
                namespace: "ns",
                instance: "test",
                image: referencedImage("c1524db4f1/kubernetes-tutorial-backend:v0.3.0"),
                replicas: 3,
                readinessPath: extra.readinessPath ?? "/healthz",
                redisAddress: "redis:6379",
                redisPassword: extra.redisPassword,
                allowFrom: { app: "web", service: "nginx" },
            },
            { provider },
        );
        return { backend };
    });
}

describe("Backend", () => {
    it("registers Deployment `backend`, Service `app`, its ConfigMap, PDB and NetworkPolicy", async () => {
        const { resources } = await build();
        const kinds = resources.filter((r) => r.type !== K8S.provider).map((r) => `${r.type} ${r.kubeName}`);
        assert.deepEqual(
            kinds.sort(),
            [
                `${K8S.configMap} backend-config-a1b2c3d4`,
                `${K8S.deployment} backend`,
                `${K8S.networkPolicy} backend-ingress`,
                `${K8S.disruptionBudget} backend`,
                `${K8S.service} app`,
            ].sort(),
        );
    });

    it("rolls out with surge 1 and no unavailability, from the configured image and replicas", async () => {
        const { resources } = await build();
        const spec = byKubeName(resources, K8S.deployment, "backend").inputs.spec;
        assert.equal(spec.replicas, 3);
        assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
        assert.deepEqual(spec.selector.matchLabels, { app: "web", service: "app" });
        assert.equal(spec.template.metadata.labels["app.kubernetes.io/version"], "v0.3.0");
        // The version label stays on the workload, so an image change updates nothing else.
        for (const r of resources.filter((r) => r.type !== K8S.deployment && r.type !== K8S.provider)) {
            assert.equal(r.inputs.metadata.labels["app.kubernetes.io/version"], undefined, r.type);
        }
        const container = spec.template.spec.containers[0];
        assert.equal(container.name, "app");
        assert.equal(container.image, "c1524db4f1/kubernetes-tutorial-backend:v0.3.0");
        assert.deepEqual(container.args, ["/bin/app"]);
        assert.deepEqual(container.ports, [{ name: "http", containerPort: 1323 }]);
    });

    it("gets REDIS_URL from its ConfigMap", async () => {
        const { resources } = await build();
        const config = ofType(resources, K8S.configMap)[0];
        assert.deepEqual(config.inputs.data, { REDIS_URL: "redis:6379" });
        const env = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0].env;
        assert.deepEqual(env, [
            { name: "REDIS_URL", valueFrom: { configMapKeyRef: { name: config.kubeName, key: "REDIS_URL" } } },
        ]);
    });

    it("gets REDIS_PASSWORD from the Secret when Redis has one", async () => {
        const { resources } = await build({
            redisPassword: { name: pulumi.output("redis-password-x"), key: "password" },
        });
        const env = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0].env;
        assert.deepEqual(env[1], {
            name: "REDIS_PASSWORD",
            valueFrom: { secretKeyRef: { name: "redis-password-x", key: "password" } },
        });
    });

    it("probes readiness on the configured path and liveness on /healthz, port 1323", async () => {
        const { resources } = await build({ readinessPath: "/readyz" });
        const container = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0];
        assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "http" });
        assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "http" });
        assert.deepEqual(container.resources, {
            requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "64Mi" },
            limits: { memory: "128Mi", "ephemeral-storage": "128Mi" },
        });
    });

    it("drains for 5 s before SIGTERM, within a 30 s grace period, with no service-account token", async () => {
        const { resources } = await build();
        const pod = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec;
        assert.deepEqual(pod.containers[0].lifecycle, { preStop: { sleep: { seconds: 5 } } });
        assert.equal(pod.terminationGracePeriodSeconds, 30);
        assert.equal(pod.automountServiceAccountToken, false);
    });

    it("runs the image as an explicit non-root user", async () => {
        const { resources } = await build();
        const pod = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.securityContext.runAsUser, 65532);
        assert.equal(pod.securityContext.runAsGroup, 65532);
        assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
        assert.deepEqual(pod.containers[0].securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        });
    });

    it("is reached through ClusterIP Service `app` on 1323, only from nginx", async () => {
        const { resources, result } = await build();
        const service = byKubeName(resources, K8S.service, "app").inputs.spec;
        assert.equal(service.type, "ClusterIP");
        assert.deepEqual(byKubeName(resources, K8S.service, "app").inputs.metadata.annotations, {
            "pulumi.com/skipAwait": "true",
        });
        assert.deepEqual(service.ports, [{ name: "http", port: 1323, targetPort: "http" }]);
        assert.deepEqual(service.selector, { app: "web", service: "app" });
        const policy = byKubeName(resources, K8S.networkPolicy, "backend-ingress").inputs.spec;
        assert.deepEqual(policy.ingress[0].from, [{ podSelector: { matchLabels: { app: "web", service: "nginx" } } }]);
        assert.deepEqual(policy.ingress[0].ports, [{ protocol: "TCP", port: 1323 }]);
        const budget = byKubeName(resources, K8S.disruptionBudget, "backend").inputs.spec;
        assert.deepEqual(budget, { maxUnavailable: 1, selector: { matchLabels: { app: "web", service: "app" } } });
        assert.equal(await unwrap(result.backend.address), "app:1323");
    });
});
