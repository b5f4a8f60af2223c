import * as assert from "node:assert/strict";
import {
    appLabels,
    containerSecurityContext,
    gracefulStop,
    podTemplate,
    startupProbe,
    disruptionBudget,
    imageVersion,
    referencedImage,
    ingressOnlyFrom,
    podSecurityContext,
    probes,
    resourceRequirements,
    selectorLabels,
    serviceAnnotations,
    spreadOverNodesAndZones,
    tierLabels,
    workloadLabels,
} from "../../components/workload";

describe("workload building blocks", () => {
    it("selects pods by the tutorial's app/service pair only", () => {
        assert.deepEqual(selectorLabels("frontend"), { app: "web", service: "nginx" });
        assert.deepEqual(selectorLabels("backend"), { app: "web", service: "app" });
        assert.deepEqual(selectorLabels("redis"), { app: "web", service: "redis" });
    });

    it("adds the recommended labels beside the selector labels", () => {
        assert.deepEqual(tierLabels("redis", "dev"), {
            app: "web",
            service: "redis",
            "app.kubernetes.io/name": "redis",
            "app.kubernetes.io/component": "database",
            "app.kubernetes.io/part-of": "three-tier-app",
            "app.kubernetes.io/instance": "dev",
            "app.kubernetes.io/managed-by": "pulumi",
        });
    });

    it("names the installation (stack) in app.kubernetes.io/instance, never in a selector", () => {
        assert.deepEqual(appLabels("review-alice"), {
            "app.kubernetes.io/part-of": "three-tier-app",
            "app.kubernetes.io/instance": "review-alice",
            "app.kubernetes.io/managed-by": "pulumi",
        });
        assert.equal(
            workloadLabels("frontend", referencedImage("nginx:1.2"), "pr-7")["app.kubernetes.io/instance"],
            "pr-7",
        );
        assert.equal(Object.values(selectorLabels("frontend")).includes("pr-7"), false);
    });

    it("labels workloads and pods with the image's version", () => {
        assert.deepEqual(workloadLabels("backend", referencedImage("backend:v1.2"), "dev"), {
            ...tierLabels("backend", "dev"),
            "app.kubernetes.io/version": "v1.2",
        });
        assert.deepEqual(workloadLabels("backend", referencedImage("backend"), "dev"), tierLabels("backend", "dev"));
        // A built image is deployed by digest; its version comes from the build, not the reference.
        assert.deepEqual(
            workloadLabels("redis", { ref: "r/redis@sha256:" + "0".repeat(64), version: "7.0.15" }, "dev"),
            {
                ...tierLabels("redis", "dev"),
                "app.kubernetes.io/version": "7.0.15",
            },
        );
    });

    describe("imageVersion", () => {
        const cases: [string, string | undefined][] = [
            ["redis:7.4.2-alpine", "7.4.2-alpine"],
            ["c1524db4f1/kubernetes-tutorial-backend:v0.3.0", "v0.3.0"],
            ["registry.example.com:5000/team/app:1.2", "1.2"],
            ["registry.example.com:5000/team/app", undefined],
            ["app@sha256:" + "0".repeat(64), undefined],
            ["app:1.0@sha256:" + "0".repeat(64), "1.0"],
            ["app:-bad", undefined],
        ];
        for (const [image, version] of cases) it(image, () => assert.equal(imageVersion(image), version));
    });

    it("builds readiness and liveness probes of each kind", () => {
        const http = probes({ http: "/readyz", port: "http" }, { http: "/healthz", port: "http" });
        assert.deepEqual(http.readinessProbe.httpGet, { path: "/readyz", port: "http" });
        assert.deepEqual(http.livenessProbe.httpGet, { path: "/healthz", port: "http" });
        assert.equal(http.readinessProbe.periodSeconds, 5);
        assert.equal(http.livenessProbe.initialDelaySeconds, 10);
        const redis = probes({ exec: ["redis-cli", "ping"] }, { tcpPort: 6379 });
        assert.deepEqual(redis.readinessProbe.exec, { command: ["redis-cli", "ping"] });
        assert.deepEqual(redis.livenessProbe.tcpSocket, { port: 6379 });
    });

    it("restarts a container far more reluctantly than it takes it out of its Service", () => {
        const { readinessProbe, livenessProbe } = probes({ tcpPort: 80 }, { tcpPort: 80 });
        const outAfter = (p: typeof readinessProbe) =>
            Number(p.periodSeconds) * Number(p.failureThreshold) + Number(p.initialDelaySeconds ?? 0);
        assert.ok(
            outAfter(livenessProbe) >= 4 * outAfter(readinessProbe),
            `liveness gives up after ${outAfter(livenessProbe)} s, readiness after ${outAfter(readinessProbe)} s`,
        );
        assert.ok(Number(livenessProbe.timeoutSeconds) > Number(readinessProbe.timeoutSeconds));
    });

    it("gives a slow start its own probe budget", () => {
        assert.deepEqual(startupProbe({ tcpPort: 6379 }, 60), {
            tcpSocket: { port: 6379 },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 12,
        });
        assert.equal(startupProbe({ tcpPort: 1 }, 61).failureThreshold, 13);
    });

    it("drains before the stop signal, inside the grace period", () => {
        assert.deepEqual(gracefulStop(10, 20), {
            lifecycle: { preStop: { sleep: { seconds: 10 } } },
            terminationGracePeriodSeconds: 30,
        });
    });

    it("mounts no service-account token in any pod, whatever the spec says", () => {
        const spec = { automountServiceAccountToken: true, containers: [{ name: "c", image: "c:1" }] };
        assert.deepEqual(podTemplate({ service: "app" }, spec), {
            metadata: { labels: { service: "app" } },
            spec: { automountServiceAccountToken: false, containers: [{ name: "c", image: "c:1" }] },
        });
    });

    it("hardens containers", () => {
        assert.deepEqual(containerSecurityContext({ readOnlyRootFilesystem: true }), {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        });
        assert.deepEqual(
            containerSecurityContext({ readOnlyRootFilesystem: false, addCapabilities: ["CHOWN"] }).capabilities,
            {
                drop: ["ALL"],
                add: ["CHOWN"],
            },
        );
    });

    it("runs pods as an explicit non-root user, or as root only when asked", () => {
        assert.deepEqual(podSecurityContext({ uid: 999, gid: 999, fsGroup: 999 }), {
            runAsNonRoot: true,
            runAsUser: 999,
            runAsGroup: 999,
            fsGroup: 999,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(podSecurityContext({ uid: 101, gid: 101 }), {
            runAsNonRoot: true,
            runAsUser: 101,
            runAsGroup: 101,
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(podSecurityContext("root"), {
            runAsNonRoot: false,
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    it("requests cpu, memory and ephemeral storage and limits memory and ephemeral storage, not cpu", () => {
        assert.deepEqual(
            resourceRequirements({
                cpuRequest: "50m",
                memoryRequest: "32Mi",
                memoryLimit: "128Mi",
                ephemeralStorageRequest: "1Mi",
                ephemeralStorageLimit: "2Mi",
            }),
            {
                requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "1Mi" },
                limits: { memory: "128Mi", "ephemeral-storage": "2Mi" },
            },
        );
    });

    it("spreads a tier over nodes and zones without refusing to schedule on one node", () => {
        const constraints = spreadOverNodesAndZones({ app: "web", service: "app" });
        assert.deepEqual(
            constraints.map((c) => c.topologyKey),
            ["kubernetes.io/hostname", "topology.kubernetes.io/zone"],
        );
        for (const c of constraints) {
            assert.equal(c.whenUnsatisfiable, "ScheduleAnyway");
            assert.equal(c.maxSkew, 1);
            assert.deepEqual(c.labelSelector, { matchLabels: { app: "web", service: "app" } });
            assert.deepEqual(c.matchLabelKeys, ["pod-template-hash"]);
        }
    });

    it("lets only the given pods in, on one port", () => {
        assert.deepEqual(ingressOnlyFrom({ service: "redis" }, { service: "app" }, 6379), {
            podSelector: { matchLabels: { service: "redis" } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [{ podSelector: { matchLabels: { service: "app" } } }],
                    ports: [{ protocol: "TCP", port: 6379 }],
                },
            ],
        });
        assert.deepEqual(ingressOnlyFrom({ service: "nginx" }, "anywhere", 8080).ingress, [
            { ports: [{ protocol: "TCP", port: 8080 }] },
        ]);
    });

    it("awaits only LoadBalancer Services, whose address is an output", () => {
        assert.deepEqual(serviceAnnotations("LoadBalancer"), {});
        assert.deepEqual(serviceAnnotations("NodePort"), { "pulumi.com/skipAwait": "true" });
        assert.deepEqual(serviceAnnotations("ClusterIP"), { "pulumi.com/skipAwait": "true" });
    });

    it("allows one voluntary disruption at a time", () => {
        assert.deepEqual(disruptionBudget({ service: "app" }), {
            maxUnavailable: 1,
            selector: { matchLabels: { service: "app" } },
        });
    });
});
