// What the pod-spec building blocks must guarantee, checked on the pods the app really deploys (both frontend
// profiles) and, for the blocks themselves, as properties over their inputs rather than restated literals.
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../config";
import { ThreeTierApp } from "../../components/app";
import {
    containerSecurityContext,
    denyAllEgress,
    disruptionBudget,
    dnsEgress,
    egressOnlyTo,
    gracefulStop,
    imageVersion,
    ingressOnlyFrom,
    podSecurityContext,
    podTemplate,
    probes,
    referencedImage,
    resourceRequirements,
    selectorLabels,
    serviceAnnotations,
    spreadOverNodesAndZones,
    startupProbe,
    Tier,
    tierLabels,
    workloadLabels,
} from "../../components/workload";
import { K8S, ofType, RecordedResource, runUnderMocks } from "../helpers/mocks";
import { admits, quantity, selects } from "../helpers/pods";

const TIERS: readonly Tier[] = ["frontend", "backend", "redis"];
/** The least a container gets between its stop signal and SIGKILL: without it, a graceful stop is a kill. */
const MIN_STOP_SECONDS = 5;

/** Capabilities Pod Security `baseline` lets a container add; `restricted` allows NET_BIND_SERVICE only. */
const BASELINE_CAPABILITIES = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
/** Volume types Pod Security `restricted` allows. */
const RESTRICTED_VOLUMES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

interface Workload {
    readonly name: string;
    readonly kind: "Deployment" | "StatefulSet";
    readonly selector: Record<string, string>;
    readonly labels: Record<string, string>;
    readonly pod: any;
}

/** The pod templates of every workload ThreeTierApp deploys with these settings. */
async function deployedWorkloads(raw: Parameters<typeof parseConfig>[0] = {}): Promise<Workload[]> {
    const app = parseConfig(raw, "dev").app;
    const { resources } = await runUnderMocks(
        () =>
            new ThreeTierApp(
                "web",
                { ...app, redis: { ...app.redis, redisPassword: "pw" } },
                { providers: [new k8s.Provider("test", {})] },
            ),
    );
    const of = (type: string, kind: Workload["kind"]) =>
        ofType(resources, type).map((w: RecordedResource) => ({
            name: w.inputs.metadata.name,
            kind,
            selector: w.inputs.spec.selector.matchLabels,
            labels: w.inputs.spec.template.metadata.labels,
            pod: w.inputs.spec.template.spec,
        }));
    return [...of(K8S.deployment, "Deployment"), ...of(K8S.statefulSet, "StatefulSet")];
}

function containersOf(pod: any): any[] {
    return [...(pod.initContainers ?? []), ...pod.containers];
}

/** What keeps one pod from Pod Security `restricted` (or `baseline`, for a profile that runs as root); [] when nothing. */
function podSecurityViolations(pod: any, level: "restricted" | "baseline"): string[] {
    const v: string[] = [];
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push("host namespaces");
    for (const vol of pod.volumes ?? []) {
        if (vol.hostPath) v.push(`hostPath volume ${vol.name}`);
        const type = Object.keys(vol).find((k) => k !== "name");
        if (level === "restricted" && !RESTRICTED_VOLUMES.includes(type ?? "")) v.push(`volume ${vol.name}: ${type}`);
    }
    const seccomp = pod.securityContext?.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") v.push(`seccomp ${seccomp}`);
    for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        if (sc.privileged) v.push(`${c.name}: privileged`);
        const added: string[] = sc.capabilities?.add ?? [];
        const allowed = level === "restricted" ? ["NET_BIND_SERVICE"] : BASELINE_CAPABILITIES;
        for (const cap of added) if (!allowed.includes(cap)) v.push(`${c.name}: adds ${cap}`);
        if (level === "baseline") continue;
        if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: may escalate privileges`);
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) v.push(`${c.name}: does not drop ALL`);
        if ((sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) v.push(`${c.name}: may run as root`);
        if ((sc.runAsUser ?? pod.securityContext?.runAsUser) === 0) v.push(`${c.name}: runs as uid 0`);
    }
    return v;
}

describe("every pod the app deploys", () => {
    for (const profile of ["unprivileged", "tutorial"]) {
        describe(`frontend profile ${profile}`, () => {
            let workloads: Workload[];
            before(async function () {
                this.timeout(30_000);
                workloads = await deployedWorkloads({ frontendProfile: profile });
                assert.equal(workloads.length, 3, workloads.map((w) => w.name).join(", "));
            });

            it("probes ports its containers declare, and probes every container that serves a port", () => {
                for (const { name, pod } of workloads) {
                    for (const c of pod.containers) {
                        const declared = (c.ports ?? []).flatMap((p: any) => [p.name, p.containerPort]);
                        if (declared.length > 0) {
                            assert.ok(c.readinessProbe && c.livenessProbe, `${name}/${c.name} has no probes`);
                        }
                        for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
                            const probe = c[kind];
                            const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
                            if (port === undefined) continue;
                            assert.ok(declared.includes(port), `${name}/${c.name} ${kind} probes ${port}`);
                        }
                    }
                }
            });

            // Named decision (README, "Probes"): up and rollouts wait for the pods, not for probe timers.
            it("holds liveness behind a startup probe tried every second, and checks readiness every 2 s", () => {
                for (const { name, pod } of workloads) {
                    for (const c of pod.containers.filter((c: any) => (c.ports ?? []).length > 0)) {
                        assert.equal(c.startupProbe?.periodSeconds, 1, `${name}/${c.name} startup`);
                        assert.ok(c.readinessProbe.periodSeconds <= 2, `${name}/${c.name} readiness`);
                    }
                }
            });

            it("keeps serving while it drains, and has time to stop after the drain", () => {
                for (const { name, kind, pod } of workloads) {
                    const drains = pod.containers.map((c: any) => c.lifecycle?.preStop?.sleep?.seconds);
                    // Pods behind a Service with several replicas drain before their stop signal.
                    if (kind === "Deployment")
                        assert.ok(
                            drains.every((d: unknown) => d !== undefined),
                            name,
                        );
                    const grace = pod.terminationGracePeriodSeconds ?? 30;
                    for (const drain of drains.filter((d: unknown) => d !== undefined)) {
                        assert.ok(grace >= drain + MIN_STOP_SECONDS, `${name}: grace ${grace} s, drain ${drain} s`);
                    }
                }
            });

            it("meets Pod Security restricted, but for the tutorial's root nginx, which meets baseline", () => {
                for (const { name, pod } of workloads) {
                    const rootNginx = profile === "tutorial" && name === "frontend";
                    assert.deepEqual(podSecurityViolations(pod, rootNginx ? "baseline" : "restricted"), [], name);
                }
            });

            it("requests cpu, memory and disk, and caps memory and disk at no less than the request", () => {
                for (const { name, pod } of workloads) {
                    for (const c of containersOf(pod)) {
                        const { requests = {}, limits = {} } = c.resources ?? {};
                        for (const r of ["cpu", "memory", "ephemeral-storage"]) {
                            assert.ok(quantity(requests[r]) > 0, `${name}/${c.name} requests no ${r}`);
                        }
                        for (const r of ["memory", "ephemeral-storage"]) {
                            assert.ok(quantity(limits[r]) >= quantity(requests[r]), `${name}/${c.name} ${r} limit`);
                        }
                    }
                }
            });

            it("mounts no service-account token", () => {
                for (const { name, pod } of workloads) assert.equal(pod.automountServiceAccountToken, false, name);
            });

            it("is selected by its own workload and by no other", () => {
                for (const w of workloads) {
                    for (const other of workloads) {
                        assert.equal(selects(w.selector, other.labels), w === other, `${w.name} → ${other.name}`);
                    }
                }
            });
        });
    }
});

describe("workload building blocks", () => {
    describe("labels", () => {
        it("select a tier's pods whatever the image or the installation, and no other tier's", () => {
            for (const tier of TIERS) {
                const selector = selectorLabels(tier);
                for (const [image, instance] of [
                    ["backend:v1", "dev"],
                    ["backend:v2", "review-alice"],
                    ["backend", "pr-7"],
                ]) {
                    const labels = workloadLabels(tier, referencedImage(image), instance);
                    for (const [k, v] of Object.entries(selector)) assert.equal(labels[k], v, `${tier} ${k}`);
                    assert.equal(labels["app.kubernetes.io/instance"], instance);
                    assert.ok(!Object.values(selector).includes(instance), "the instance stays out of selectors");
                }
                for (const other of TIERS.filter((t) => t !== tier)) {
                    const otherLabels = tierLabels(other, "dev");
                    assert.ok(
                        Object.entries(selector).some(([k, v]) => otherLabels[k] !== v),
                        `${tier} → ${other}`,
                    );
                }
            }
        });

        it("carry the image's version on workloads only when the image has one", () => {
            const built = { ref: "r/redis@sha256:" + "0".repeat(64), version: "7.0.15" };
            assert.equal(workloadLabels("redis", built, "dev")["app.kubernetes.io/version"], "7.0.15");
            assert.equal(
                workloadLabels("backend", referencedImage("backend:v1.2"), "dev")["app.kubernetes.io/version"],
                "v1.2",
            );
            assert.ok(!("app.kubernetes.io/version" in workloadLabels("backend", referencedImage("backend"), "dev")));
            assert.ok(!("app.kubernetes.io/version" in tierLabels("backend", "dev")));
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
                ["app:" + "a".repeat(64), undefined],
            ];
            for (const [image, version] of cases) it(image, () => assert.equal(imageVersion(image), version));
        });
    });

    describe("probes", () => {
        it("check what they are asked to check", () => {
            const http = probes({ http: "/readyz", port: "http" }, { http: "/healthz", port: 8080 });
            assert.deepEqual(http.readinessProbe.httpGet, { path: "/readyz", port: "http" });
            assert.deepEqual(http.livenessProbe.httpGet, { path: "/healthz", port: 8080 });
            const redis = probes({ exec: ["redis-cli", "ping"] }, { tcpPort: "redis" });
            assert.deepEqual(redis.readinessProbe.exec, { command: ["redis-cli", "ping"] });
            assert.deepEqual(redis.livenessProbe.tcpSocket, { port: "redis" });
        });

        it("start on the liveness check, so a dependency that is down does not restart the container", () => {
            const api = probes({ http: "/readyz", port: "http" }, { http: "/healthz", port: "http" });
            assert.deepEqual(api.startupProbe.httpGet, api.livenessProbe.httpGet);
            assert.deepEqual(api.startupProbe.httpGet, { path: "/healthz", port: "http" });
        });

        it("restart a container far more reluctantly than they take it out of its Service", () => {
            const { readinessProbe, livenessProbe } = probes({ tcpPort: 80 }, { tcpPort: 80 });
            const outAfter = (p: typeof readinessProbe) =>
                Number(p.periodSeconds) * Number(p.failureThreshold) + Number(p.initialDelaySeconds ?? 0);
            assert.ok(
                outAfter(livenessProbe) >= 4 * outAfter(readinessProbe),
                `liveness gives up after ${outAfter(livenessProbe)} s, readiness after ${outAfter(readinessProbe)} s`,
            );
            assert.ok(Number(livenessProbe.timeoutSeconds) > Number(readinessProbe.timeoutSeconds));
        });

        it("give a slow start at least its budget, and not a period more", () => {
            for (const budget of [1, 5, 59, 60, 61, 300]) {
                const p = startupProbe({ tcpPort: 6379 }, budget);
                const allowed = Number(p.periodSeconds) * Number(p.failureThreshold);
                assert.ok(allowed >= budget && allowed < budget + Number(p.periodSeconds), `${budget} s: ${allowed}`);
                assert.deepEqual(p.tcpSocket, { port: 6379 });
            }
        });
    });

    it("drains for the drain time before the stop signal, and leaves the stop time after it", () => {
        for (const [drain, stop] of [
            [0, 10],
            [5, 25],
            [10, 20],
        ]) {
            const { lifecycle, terminationGracePeriodSeconds } = gracefulStop(drain, stop);
            assert.equal((lifecycle.preStop as any)?.sleep?.seconds, drain);
            assert.ok(terminationGracePeriodSeconds - drain >= stop, `${drain} + ${stop}`);
        }
    });

    it("mounts no service-account token in a pod, whatever the spec says, and keeps the rest of the spec", () => {
        const containers = [{ name: "c", image: "c:1" }];
        const template: any = podTemplate({ service: "app" }, { automountServiceAccountToken: true, containers });
        assert.equal(template.spec?.automountServiceAccountToken, false);
        assert.deepEqual(template.spec?.containers, containers);
        assert.deepEqual(template.metadata?.labels, { service: "app" });
    });

    describe("security contexts", () => {
        it("keep every container restricted-compliant, adding only the capabilities asked for", () => {
            const pod = (added?: string[]) => ({
                securityContext: podSecurityContext({ uid: 101, gid: 101 }),
                containers: [
                    {
                        name: "c",
                        securityContext: containerSecurityContext({
                            readOnlyRootFilesystem: false,
                            addCapabilities: added,
                        }),
                    },
                ],
            });
            assert.deepEqual(podSecurityViolations(pod(), "restricted"), []);
            assert.deepEqual(podSecurityViolations(pod(["NET_BIND_SERVICE"]), "restricted"), []);
            assert.deepEqual(podSecurityViolations(pod(["CHOWN"]), "restricted"), ["c: adds CHOWN"]);
            const ro = containerSecurityContext({ readOnlyRootFilesystem: true });
            assert.equal(ro.readOnlyRootFilesystem, true);
        });

        it("run a pod as the given non-root user and group, or as root only when asked", () => {
            const user = podSecurityContext({ uid: 999, gid: 998 });
            assert.equal(user.runAsNonRoot, true);
            assert.equal(user.runAsUser, 999);
            assert.equal(user.runAsGroup, 998);
            assert.equal(user.fsGroup, undefined, "no volume ownership change unless asked");
            assert.equal(podSecurityContext("root").runAsNonRoot, false);
            for (const ctx of [user, podSecurityContext("root")] as any[]) {
                assert.equal(ctx.seccompProfile?.type, "RuntimeDefault");
            }
        });

        it("give a volume to the pod's group, changing ownership only when it differs", () => {
            const ctx = podSecurityContext({ uid: 999, gid: 999, fsGroup: 1000 });
            assert.equal(ctx.fsGroup, 1000);
            assert.equal(ctx.fsGroupChangePolicy, "OnRootMismatch");
        });
    });

    it("requests what it is given, caps memory and disk, and never caps cpu", () => {
        const r = resourceRequirements({
            cpuRequest: "50m",
            memoryRequest: "32Mi",
            memoryLimit: "128Mi",
            ephemeralStorageRequest: "1Mi",
            ephemeralStorageLimit: "2Mi",
        });
        assert.deepEqual(r.requests, { cpu: "50m", memory: "32Mi", "ephemeral-storage": "1Mi" });
        assert.deepEqual(r.limits, { memory: "128Mi", "ephemeral-storage": "2Mi" });
    });

    it("spreads a tier's pods over nodes and zones, never refusing to schedule on one node", () => {
        const selector = selectorLabels("backend");
        const constraints = spreadOverNodesAndZones(selector);
        assert.deepEqual(constraints.map((c) => c.topologyKey).sort(), [
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        ]);
        for (const c of constraints) {
            assert.equal(c.whenUnsatisfiable, "ScheduleAnyway");
            assert.deepEqual(c.labelSelector, { matchLabels: selector });
            // Each ReplicaSet's pods counted apart, so a rollout does not skew the spread.
            assert.ok((c.matchLabelKeys as string[]).includes("pod-template-hash"));
        }
    });

    it("takes at most one pod of a tier for a voluntary disruption", () => {
        const selector = selectorLabels("frontend");
        const pdb = disruptionBudget(selector);
        assert.equal(pdb.maxUnavailable, 1);
        assert.deepEqual(pdb.selector, { matchLabels: selector });
    });

    describe("network policies", () => {
        const api = selectorLabels("backend");
        const nginx = selectorLabels("frontend");
        const redis = selectorLabels("redis");

        it("let only the given pods in, on the given port only", () => {
            const spec = ingressOnlyFrom(redis, api, 6379);
            assert.deepEqual(spec.podSelector, { matchLabels: redis });
            assert.ok(admits(spec, "ingress", api, 6379));
            assert.ok(!admits(spec, "ingress", nginx, 6379), "another tier");
            assert.ok(!admits(spec, "ingress", api, 6380), "another port");
            const open = ingressOnlyFrom(nginx, "anywhere", 8080);
            assert.ok(admits(open, "ingress", {}, 8080));
            assert.ok(!admits(open, "ingress", {}, 8081));
        });

        it("let the given pods out to the given pods on the given port only", () => {
            const spec = egressOnlyTo(api, redis, 6379);
            assert.deepEqual(spec.podSelector, { matchLabels: api });
            assert.deepEqual(spec.policyTypes, ["Egress"]);
            assert.ok(admits(spec, "egress", redis, 6379));
            assert.ok(!admits(spec, "egress", nginx, 6379));
            assert.ok(!admits(spec, "egress", redis, 80));
        });

        it("deny all egress but DNS, to any address, for every pod", () => {
            const deny = denyAllEgress();
            assert.deepEqual(deny.podSelector, {});
            assert.ok(!admits(deny, "egress", {}, 53));
            const dns: any = dnsEgress();
            assert.deepEqual(dns.podSelector, {});
            assert.ok(admits(dns, "egress", { anything: "at all" }, 53));
            assert.ok(!admits(dns, "egress", {}, 443));
            assert.deepEqual(dns.egress?.[0].ports?.map((p: any) => p.protocol).sort(), ["TCP", "UDP"]);
        });
    });

    it("awaits only LoadBalancer Services, whose address is an output", () => {
        assert.deepEqual(serviceAnnotations("LoadBalancer"), {});
        for (const type of ["NodePort", "ClusterIP"] as const) {
            assert.equal(serviceAnnotations(type)["pulumi.com/skipAwait"], "true");
        }
    });
});
