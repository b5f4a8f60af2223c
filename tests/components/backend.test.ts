import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { Backend } from "../../components/backend";
import { ContainerResources, referencedImage, resourceRequirements } from "../../components/workload";
import { REPO_ROOT } from "../../project";
import { byKubeName, K8S, runUnderMocks, unwrap } from "../helpers/mocks";
import { admits, envValue, portNumber, seconds, selects } from "../helpers/pods";

function build(
    extra: {
        /** A password for Redis, in a Secret the API is handed. */
        redisPassword?: string;
        readinessPath?: string;
        resources?: ContainerResources;
    } = {},
) {
    return runUnderMocks(() => {
        const provider = new k8s.Provider("test", {});
        const secret =
            extra.redisPassword === undefined
                ? undefined
                : new k8s.core.v1.Secret("redis-password", { stringData: { password: extra.redisPassword } });
        const backend = new Backend(
            "backend",
            {
                namespace: "ns",
                instance: "test",
                image: referencedImage("c1524db4f1/kubernetes-tutorial-backend:v0.3.0"),
                replicas: 3,
                readinessPath: extra.readinessPath ?? "/healthz",
                redisAddress: "redis:6379",
                redisPassword: secret && { name: secret.metadata.name, key: "password" },
                allowFrom: { app: "web", service: "nginx" },
                resources: extra.resources,
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

    it("rolls out the configured image and replicas, adding a pod before it takes one away", async () => {
        const { resources } = await build();
        const spec = byKubeName(resources, K8S.deployment, "backend").inputs.spec;
        assert.equal(spec.replicas, 3);
        assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
        assert.ok(spec.strategy.rollingUpdate.maxSurge >= 1, "a rollout with no surge and no unavailability stalls");
        // The tutorial's labels, which its kubectl commands select by.
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

    it("hands the API the Redis address as REDIS_URL, and no password when Redis has none", async () => {
        const { resources } = await build();
        const container = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0];
        assert.equal(envValue(resources, container, "REDIS_URL"), "redis:6379");
        assert.equal(envValue(resources, container, "REDIS_PASSWORD"), undefined);
    });

    it("hands the API the password in Redis' Secret as REDIS_PASSWORD", async () => {
        const { resources } = await build({ redisPassword: "s3cr3t" });
        const container = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0];
        assert.equal(envValue(resources, container, "REDIS_PASSWORD"), "s3cr3t");
        assert.equal(envValue(resources, container, "REDIS_URL"), "redis:6379");
    });

    it("probes readiness on the configured path and liveness on /healthz, on the port the API serves", async () => {
        const { resources } = await build({ readinessPath: "/readyz" });
        const container = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0];
        assert.equal(container.readinessProbe.httpGet.path, "/readyz");
        assert.equal(container.livenessProbe.httpGet.path, "/healthz");
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
            assert.equal(portNumber(container, probe.httpGet.port), 1323);
        }
    });

    it("runs with the resources it is given", async () => {
        const resources = {
            cpuRequest: "250m",
            memoryRequest: "64Mi",
            memoryLimit: "256Mi",
            ephemeralStorageRequest: "32Mi",
            ephemeralStorageLimit: "96Mi",
        };
        const { resources: recorded } = await build({ resources });
        const container = byKubeName(recorded, K8S.deployment, "backend").inputs.spec.template.spec.containers[0];
        assert.deepEqual(container.resources, resourceRequirements(resources));
    });

    it("drains before its stop signal, then has the time the API's shutdown takes (app/backend/config.go)", async () => {
        const { resources } = await build();
        const pod = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec;
        const container = pod.containers[0];
        const drain = container.lifecycle.preStop.sleep.seconds;
        assert.ok(drain > 0, "Services must drop the pod before the API stops accepting");
        // SHUTDOWN_DELAY + SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT: the set values, or the API's defaults.
        const configGo = fs.readFileSync(path.join(REPO_ROOT, "app", "backend", "config.go"), "utf8");
        const shutdown = ["Delay", "Drain", "Timeout"].map((part) => {
            const set = envValue(resources, container, `SHUTDOWN_${part.toUpperCase()}`);
            if (set !== undefined) return seconds(set);
            const m = new RegExp(`defaultShutdown${part}\\s*=\\s*(\\d+) \\* time\\.Second`).exec(configGo);
            assert.ok(m, `no defaultShutdown${part} in app/backend/config.go`);
            return Number(m[1]);
        });
        const stop = shutdown.reduce((a, b) => a + b);
        const grace = pod.terminationGracePeriodSeconds ?? 30;
        assert.ok(grace - drain >= stop, `grace ${grace} s, drain ${drain} s, the API's shutdown ${stop} s`);
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
        const deployment = byKubeName(resources, K8S.deployment, "backend").inputs.spec;
        const podLabels = deployment.template.metadata.labels;
        const service = byKubeName(resources, K8S.service, "app").inputs;
        assert.equal(service.spec.type, "ClusterIP");
        // Nothing outside the cluster waits on a ClusterIP Service: `pulumi up` does not either.
        assert.equal(service.metadata.annotations["pulumi.com/skipAwait"], "true");
        assert.deepEqual(service.spec.ports, [{ name: "http", port: 1323, targetPort: "http" }]);
        assert.deepEqual(service.spec.selector, { app: "web", service: "app" });
        assert.ok(selects(service.spec.selector, podLabels));
        const policy = byKubeName(resources, K8S.networkPolicy, "backend-ingress").inputs.spec;
        assert.ok(selects(policy.podSelector.matchLabels, podLabels));
        const nginx = { app: "web", service: "nginx" };
        assert.ok(admits(policy, "ingress", nginx, 1323), "nginx");
        assert.ok(!admits(policy, "ingress", nginx, 6379), "another port");
        assert.ok(!admits(policy, "ingress", { app: "web", service: "redis" }, 1323), "another tier");
        assert.ok(!admits(policy, "ingress", {}, 1323), "a pod without labels");
        const budget = byKubeName(resources, K8S.disruptionBudget, "backend").inputs.spec;
        assert.ok(selects(budget.selector.matchLabels, podLabels));
        assert.ok(budget.maxUnavailable >= 1 && budget.maxUnavailable < deployment.replicas);
        assert.equal(await unwrap(result.backend.address), "app:1323");
    });
});
