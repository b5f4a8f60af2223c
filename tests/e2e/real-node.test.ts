// Issue 9 on the real node: the app's containers really run (containerd, kubelet, CNI, kube-proxy, CoreDNS,
// the NetworkPolicy enforcer), deployed by the real engine with stack `local`'s images into a namespace of
// its own. Steps build on each other, in order. In kwok mode no container runs, so every step is pending and
// the reason is printed: never a pass.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { REDIS_NAMES } from "../../components/redis";
import { Cluster, clusterFromEnv, describeNode, localStackConfig, nodeFromEnv } from "../../tools/engine/cluster";
import { createStack, removeStack, secondsSince, uniqueName } from "../../tools/engine/stacks";
import {
    changeBackendSource,
    changesOf,
    kubeClients,
    KubeClients,
    nodeExec,
    programCopy,
    RealNode,
    waitUntil,
} from "../helpers/engine";
import { LoadResult, startLoad } from "../helpers/load";
import { Address, request, tutorialSession } from "./http";
import { sleep } from "../../tools/loopback/wait";

/** The uid each tier's containers run as (README, "Security"), by the tutorial's `service` label. */
const TIER_UIDS: Record<string, number> = { nginx: 10101, app: 65532, redis: 10999 };
const POD_COUNTS = { app: 2, nginx: 2, redis: 1 };

function isReady(pod: k8s.V1Pod): boolean {
    return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** uid, read-only root and privileges of a container as runc was told to run it (the OCI spec). */
function runtimeView(node: RealNode, containerID: string) {
    const id = containerID.replace(/^containerd:\/\//, "");
    const spec = JSON.parse(nodeExec(node, "crictl", "inspect", id)).info.runtimeSpec;
    const caps = spec.process.capabilities ?? {};
    return {
        uid: spec.process.user.uid,
        readOnlyRoot: spec.root.readonly === true,
        noNewPrivileges: spec.process.noNewPrivileges === true,
        capabilities: [...(caps.bounding ?? []), ...(caps.effective ?? []), ...(caps.permitted ?? [])],
    };
}

/** Containers and pod sandboxes containerd holds for a namespace, running or not. */
function runtimeObjects(node: RealNode, namespace: string): string[] {
    const lines = (out: string, kind: string) =>
        out
            .split("\n")
            .filter((l) => l !== "")
            .map((id) => `${kind} ${id}`);
    return [
        ...lines(
            nodeExec(node, "crictl", "ps", "-a", "-q", "--label", `io.kubernetes.pod.namespace=${namespace}`),
            "container",
        ),
        ...lines(nodeExec(node, "crictl", "pods", "-q", "--namespace", namespace), "sandbox"),
    ];
}

/** Directories where host-local keeps one file per allocated IP, from the CNI config containerd loaded. */
function cniAllocationDirs(node: RealNode): string[] {
    const networks = JSON.parse(nodeExec(node, "crictl", "info")).cniconfig?.Networks ?? [];
    const dirs: string[] = [];
    for (const network of networks) {
        for (const plugin of network.Config?.Plugins ?? []) {
            const ipam = JSON.parse(plugin.Source ?? "{}").ipam;
            if (ipam?.type === "host-local") {
                dirs.push(path.join(ipam.dataDir ?? "/var/lib/cni/networks", network.Config.Name));
            }
        }
    }
    return dirs;
}

/** Which of these IPs still have an allocation file. */
function allocatedIPs(node: RealNode, dirs: string[], ips: string[]): string[] {
    const files = dirs.flatMap((d) => nodeExec(node, "ls", "-1", d).split("\n"));
    return ips.filter((ip) => files.includes(ip));
}

function pathExists(node: RealNode, p: string): boolean {
    return spawnSync(node.exec, ["test", "-e", p]).status === 0;
}

describe("real node: the app's pods run for real (issue 9)", function () {
    this.timeout(20 * 60 * 1000);
    const node = nodeFromEnv();
    const namespace = uniqueName("e2e-node");
    let real: RealNode;
    let cluster: Cluster;
    let kube: KubeClients;
    let stack: Stack;
    let config: Record<string, string>;
    let frontend: Address;
    /** A copy of the program, whose API source the rolling update changes. */
    let programDir: string | undefined;
    /** The Redis image the stack runs (it has the shell tools the probe pods use). */
    let redisImage: string;

    before(async function () {
        console.log(`      ${describeNode(node)}`);
        if (node.mode !== "real") {
            console.log("      pending: these steps need containers that really run, which kwok only fakes");
            this.skip();
        }
        real = node;
        cluster = clusterFromEnv();
        kube = kubeClients(cluster);
        config = localStackConfig();
        programDir = programCopy();
        stack = await createStack(namespace, cluster, namespace, config, programDir);
    });

    after(async () => {
        if (stack) await removeStack(stack);
        if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
    });

    async function pods(tier?: string): Promise<k8s.V1Pod[]> {
        // The app's pods (the tutorial's app=web label), not the probe pods a step adds.
        const labelSelector = tier === undefined ? "app=web" : `app=web,service=${tier}`;
        return (await kube.core.listNamespacedPod({ namespace, labelSelector })).items;
    }

    async function allReady(): Promise<boolean> {
        const all = await pods();
        const counts = { app: 0, nginx: 0, redis: 0 };
        for (const p of all) counts[p.metadata?.labels?.service as keyof typeof counts]++;
        return all.every(isReady) && JSON.stringify(counts) === JSON.stringify(POD_COUNTS);
    }

    /**
     * A pod of the test's own that meets `restricted`, with the tools of the stack's Redis image: `container`
     * adds to (or replaces the resources of) its one container.
     */
    function restrictedPod(
        name: string,
        labels: Record<string, string>,
        container: Partial<k8s.V1Container>,
        volumes: k8s.V1Volume[] = [],
    ): k8s.V1Pod {
        return {
            metadata: { name, labels },
            spec: {
                automountServiceAccountToken: false,
                restartPolicy: "Never",
                terminationGracePeriodSeconds: 0,
                securityContext: {
                    runAsNonRoot: true,
                    runAsUser: TIER_UIDS.redis,
                    runAsGroup: TIER_UIDS.redis,
                    seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                    {
                        name: "c",
                        image: redisImage,
                        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                        securityContext: {
                            allowPrivilegeEscalation: false,
                            readOnlyRootFilesystem: true,
                            capabilities: { drop: ["ALL"] },
                        },
                        ...container,
                    },
                ],
                volumes,
            },
        };
    }

    /** A pod as `namespace/name`, or a name in the app's namespace: [namespace, name]. */
    const podRef = (pod: string) => (pod.includes("/") ? pod.split("/") : [namespace, pod]);

    /** `kubectl exec` in a pod's first container (`namespace/pod`, or a pod of the app's namespace). */
    function execIn(pod: string, ...command: string[]) {
        const [podNamespace, podName] = podRef(pod);
        const r = spawnSync(
            process.env.KUBECTL ?? "kubectl",
            [
                "--kubeconfig",
                cluster.kubeconfig,
                "--context",
                cluster.context,
                "exec",
                "-n",
                podNamespace,
                podName,
                "--",
                ...command,
            ],
            { encoding: "utf8", timeout: 60_000 },
        );
        return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
    }

    /**
     * Each container runs the image its spec names, by digest, pulled from the cluster's registry: the
     * runtime's imageID is that digest, and containerd holds it under the registry's repository (nothing
     * imported under another name).
     */
    function assertPulledFromRegistry(running: readonly k8s.V1Pod[]) {
        const registry = config.imageRegistry;
        const held: { repoDigests?: string[] }[] = JSON.parse(nodeExec(real, "crictl", "images", "-o", "json")).images;
        for (const pod of running) {
            for (const c of pod.status?.containerStatuses ?? []) {
                const spec = pod.spec?.containers.find((s) => s.name === c.name)?.image ?? "";
                const where = `${pod.metadata?.name}/${c.name}`;
                assert.match(
                    spec,
                    new RegExp(`^${registry.replace(/[.]/g, "\\.")}/[a-z]+@sha256:[a-f0-9]{64}$`),
                    where,
                );
                assert.equal(c.imageID, spec, `${where}: the runtime's image is the spec's digest`);
                assert.ok(
                    held.some((i) => i.repoDigests?.includes(spec)),
                    `${where}: containerd holds ${spec} as pulled from ${registry}`,
                );
            }
        }
    }

    it("1. up: every pod Running and Ready through its real probes; the tutorial's session through the NodePort", async () => {
        const start = process.hrtime.bigint();
        const up = await stack.up();
        console.log(`      up: ${secondsSince(start).toFixed(1)} s`);
        assert.equal(up.summary.result, "succeeded");

        const all = await pods();
        assert.deepEqual(all.map((p) => p.metadata?.labels?.service).sort(), ["app", "app", "nginx", "nginx", "redis"]);
        for (const pod of all) {
            const name = pod.metadata?.name;
            assert.equal(pod.status?.phase, "Running", name);
            assert.ok(isReady(pod), `${name} is Ready`);
            for (const c of pod.status?.containerStatuses ?? []) {
                // A container containerd started and kubelet probed, not a status kwok wrote.
                assert.match(c.containerID ?? "", /^containerd:\/\/[0-9a-f]{64}$/, `${name}/${c.name}`);
                assert.ok(c.ready && c.started && c.state?.running?.startedAt, `${name}/${c.name} running and ready`);
                const spec = pod.spec?.containers.find((s) => s.name === c.name);
                assert.ok(spec?.readinessProbe && spec.livenessProbe, `${name}/${c.name} has both probes`);
            }
            const host = await kube.core.readNode({ name: pod.spec?.nodeName ?? "" });
            assert.equal(host.metadata?.annotations?.["kwok.x-k8s.io/node"], undefined, `${name} is on a real node`);
        }
        assertPulledFromRegistry(all);
        redisImage = (await pods("redis"))[0].spec?.containers[0].image ?? "";

        const service = await kube.core.readNamespacedService({ name: "nginx", namespace });
        const nodePort = service.spec?.ports?.[0].nodePort;
        assert.ok(nodePort, "Service nginx has a NodePort");
        frontend = { host: real.ip, port: nodePort };
        // client → nginx pods → Service app → Go pods → Service redis → Redis, with the README's bytes.
        await tutorialSession(frontend, 249);
    });

    it("2. previews again right after up: no changes", async () => {
        const events: EngineEvent[] = [];
        const preview = await stack.preview({ onEvent: (e) => events.push(e) });
        assert.deepEqual(changesOf(events), []);
        assert.deepEqual(Object.keys(preview.changeSummary), ["same"]);
    });

    it("3. Pod Security `restricted` admits the pods, and they run non-root on a read-only root filesystem", async () => {
        const ns = await kube.core.readNamespace({ name: namespace });
        assert.equal(ns.metadata?.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
        // The level is enforced, not decoration: a pod that may run as root is refused.
        await assert.rejects(
            kube.core.createNamespacedPod({
                namespace,
                dryRun: "All",
                body: {
                    metadata: { name: "root-allowed" },
                    spec: { containers: [{ name: "c", image: redisImage }] },
                },
            }),
            (e: { code?: number; body?: string }) =>
                e.code === 403 && /violates PodSecurity "restricted/.test(JSON.parse(String(e.body)).message),
        );

        // From the runtime: what runc was told (uid, read-only root, no new privileges, no capability).
        for (const pod of await pods()) {
            const tier = pod.metadata?.labels?.service ?? "";
            for (const c of pod.status?.containerStatuses ?? []) {
                assert.deepEqual(
                    runtimeView(real, c.containerID ?? ""),
                    { uid: TIER_UIDS[tier], readOnlyRoot: true, noNewPrivileges: true, capabilities: [] },
                    `${pod.metadata?.name}/${c.name} as containerd runs it`,
                );
            }
        }
        // From inside, where there is a shell (the Go image has none): the uid, and / refuses writes as
        // read-only (EROFS), not merely as someone else's directory (EACCES).
        for (const tier of ["nginx", "redis"]) {
            const pod = (await pods(tier))[0].metadata?.name ?? "";
            assert.deepEqual(execIn(pod, "id", "-u"), { status: 0, stdout: String(TIER_UIDS[tier]), stderr: "" }, pod);
            const write = execIn(pod, "sh", "-c", ": > /e2e-write-probe");
            assert.notEqual(write.status, 0, `${pod}: writing to / must fail`);
            assert.match(write.stderr, /Read-only file system/, pod);
        }
    });

    it("4. NetworkPolicies hold both ways: each tier's pods open only what the one behind needs, and DNS", async () => {
        /** Idle until exec'd into. */
        const probePod = (name: string, labels: Record<string, string>) =>
            restrictedPod(name, labels, {
                command: ["sleep", "600"],
                // Never Ready, so a pod with the backend's labels never becomes an endpoint of Service app.
                readinessProbe: { exec: { command: ["false"] } },
            });
        const stranger = "e2e-stranger";
        const backendLike = "e2e-backend-like";
        const frontendLike = "e2e-frontend-like";
        // A pod of another namespace, as free as a pod can be: no policy there selects it.
        const otherNamespace = `${namespace}-other`;
        const outsider = `${otherNamespace}/e2e-outsider`;
        try {
            await kube.core.createNamespace({
                body: {
                    metadata: {
                        name: otherNamespace,
                        labels: { "pod-security.kubernetes.io/enforce": "restricted" },
                    },
                },
            });
            await kube.core.createNamespacedPod({
                namespace: otherNamespace,
                body: probePod("e2e-outsider", { app: "web", service: "app" }),
            });
            await kube.core.createNamespacedPod({ namespace, body: probePod(stranger, { e2e: "stranger" }) });
            await kube.core.createNamespacedPod({
                namespace,
                body: probePod(backendLike, { app: "web", service: "app" }),
            });
            await kube.core.createNamespacedPod({
                namespace,
                body: probePod(frontendLike, { app: "web", service: "nginx" }),
            });
            for (const pod of [stranger, backendLike, frontendLike, outsider]) {
                const [podNamespace, name] = podRef(pod);
                await waitUntil(
                    `${pod} running`,
                    async () =>
                        (await kube.core.readNamespacedPod({ name, namespace: podNamespace })).status
                            ?.containerStatuses?.[0].state?.running !== undefined,
                    120,
                );
            }
            // dns-failure: the pod cannot even resolve the name (broken, not blocked); timeout: packets dropped,
            // as the policy enforcer does; refused: something answered with a reset.
            const connect = (pod: string, host: string, port: number) =>
                execIn(
                    pod,
                    "sh",
                    "-c",
                    'getent hosts "$1" >/dev/null || { echo dns-failure; exit 0; }; ' +
                        'timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; ' +
                        "case $? in 0) echo connected ;; 124) echo timeout ;; *) echo refused ;; esac",
                    "connect",
                    host,
                    String(port),
                ).stdout;
            // Egress is told apart from ingress where the destination admits anyone (nginx:80) or the caller
            // (app:1323 admits nginx): only the caller's egress policy can stop those.
            const outcomes = {
                "stranger → nginx:80": connect(stranger, "nginx", 80),
                "stranger → redis:6379": connect(stranger, "redis", 6379),
                "stranger → app:1323": connect(stranger, "app", 1323),
                "backend-like → redis:6379": connect(backendLike, "redis", 6379),
                "backend-like → nginx:80": connect(backendLike, "nginx", 80),
                "backend-like → kubelet on the node IP": connect(backendLike, real.ip, 10250),
                "backend-like → API server on the node IP": connect(backendLike, real.ip, 16443),
                "frontend-like → app:1323": connect(frontendLike, "app", 1323),
                "frontend-like → nginx:80": connect(frontendLike, "nginx", 80),
                "frontend-like → redis:6379": connect(frontendLike, "redis", 6379),
                // The backend's labels do not open Redis from another namespace: ingress is unchanged.
                "other namespace → nginx:80": connect(outsider, `nginx.${namespace}`, 80),
                "other namespace, backend's labels → redis:6379": connect(outsider, `redis.${namespace}`, 6379),
                "other namespace → app:1323": connect(outsider, `app.${namespace}`, 1323),
            };
            console.log(`      ${JSON.stringify(outcomes)}`);
            // Every name resolved (no dns-failure): DNS is open to every pod, and nothing else is by default.
            assert.deepEqual(outcomes, {
                "stranger → nginx:80": "timeout",
                "stranger → redis:6379": "timeout",
                "stranger → app:1323": "timeout",
                "backend-like → redis:6379": "connected",
                "backend-like → nginx:80": "timeout",
                "backend-like → kubelet on the node IP": "timeout",
                "backend-like → API server on the node IP": "timeout",
                "frontend-like → app:1323": "connected",
                "frontend-like → nginx:80": "timeout",
                "frontend-like → redis:6379": "timeout",
                "other namespace → nginx:80": "connected",
                "other namespace, backend's labels → redis:6379": "timeout",
                "other namespace → app:1323": "timeout",
            });
            const ping = execIn(backendLike, "timeout", "5", "redis-cli", "-h", "redis", "-p", "6379", "ping");
            assert.deepEqual(
                ping,
                { status: 0, stdout: "PONG", stderr: "" },
                "Redis itself answers the backend's labels",
            );
        } finally {
            for (const name of [stranger, backendLike, frontendLike]) {
                await kube.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
            }
            await kube.core.deleteNamespace({ name: otherNamespace }).catch(() => undefined);
        }
    });

    it("5. the StatefulSet brings a deleted Redis pod back, and every acknowledged count is still there", async () => {
        const users = [8001, 8002, 8003];
        const acked: Record<number, number> = {};
        for (const user of users) {
            for (let i = 1; i <= 5; i++) {
                const reply = await request(frontend, "POST", `/users/${user}`);
                assert.deepEqual([reply.status, reply.body], [200, String(i)], `POST /users/${user}`);
                acked[user] = i;
            }
        }
        const name = `${REDIS_NAMES.statefulSet}-0`;
        const before = await kube.core.readNamespacedPod({ name, namespace });
        const claim = await kube.core.readNamespacedPersistentVolumeClaim({ name: REDIS_NAMES.claim, namespace });

        await kube.core.deleteNamespacedPod({ name, namespace });
        const back = await waitUntil(
            "a new redis-0, Ready",
            async () => {
                const pod = await kube.core.readNamespacedPod({ name, namespace });
                return pod.metadata?.uid !== before.metadata?.uid && isReady(pod);
            },
            300,
        );
        // The API's readiness needs Redis: wait until every pod is Ready again before reading through nginx.
        const ready = await waitUntil("every pod Ready", allReady, 120);
        // The API pods may still count as Ready from before (their readiness runs every 5 s), and the Service's
        // rules reach the new pod's address a moment after it is Ready: wait until a read of an unused
        // counter answers, then check every acknowledged one.
        const answers = await waitUntil(
            "the API reads from Redis again",
            async () => (await request(frontend, "GET", "/users/8999")).status === 200,
            60,
        );
        console.log(
            `      new redis-0 Ready after ${back.toFixed(1)} s, all pods Ready ${ready.toFixed(1)} s later, ` +
                `reads answered ${answers.toFixed(1)} s after that`,
        );

        const after = await kube.core.readNamespacedPersistentVolumeClaim({ name: REDIS_NAMES.claim, namespace });
        assert.equal(after.spec?.volumeName, claim.spec?.volumeName, "the same volume");
        for (const user of users) {
            const reply = await request(frontend, "GET", `/users/${user}`);
            assert.deepEqual([reply.status, reply.body], [200, String(acked[user])], `GET /users/${user}`);
        }
    });

    it("6. a container that writes past its ephemeral-storage limit is evicted; the app's pods are not", async () => {
        const name = "e2e-disk-filler";
        const restarts = async () =>
            (await pods()).flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => c.restartCount));
        const before = await restarts();
        await kube.core.createNamespacedPod({
            namespace,
            body: restrictedPod(
                name,
                {},
                {
                    // 48 MiB into scratch space, then wait to be evicted: the limit is 16 MiB.
                    command: ["sh", "-c", "dd if=/dev/zero of=/scratch/fill bs=1M count=48; sleep 600"],
                    resources: {
                        requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" },
                        limits: { memory: "64Mi", "ephemeral-storage": "16Mi" },
                    },
                    volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
                },
                [{ name: "scratch", emptyDir: {} }],
            ),
        });
        try {
            // The kubelet measures local storage every 10 s or so.
            const evicted = await waitUntil(
                `${name} evicted`,
                async () => {
                    const pod = await kube.core.readNamespacedPod({ name, namespace });
                    return pod.status?.phase === "Failed" && pod.status.reason === "Evicted";
                },
                120,
            );
            const pod = await kube.core.readNamespacedPod({ name, namespace });
            console.log(`      evicted after ${evicted.toFixed(1)} s: ${pod.status?.message}`);
            assert.match(pod.status?.message ?? "", /ephemeral local storage/);
            assert.ok(await allReady(), "the app's pods are all still Ready");
            assert.deepEqual(await restarts(), before, "and none restarted");
        } finally {
            await kube.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
        }
    });

    it("7. a rolling update of the backend through pulumi up, under load through the NodePort: no request fails", async () => {
        // A developer's change of the API: up builds and pushes a new image, and the Deployment rolls to it.
        const oldPods = (await pods("app")).map((p) => p.metadata?.name);
        const oldImage = (await pods("app"))[0].spec?.containers[0].image;
        changeBackendSource(programDir!, namespace);

        const workers = 4;
        const maxRequests = 200_000;
        const maxSeconds = 300;
        // A steady load, not a flood: the two cores also run the control plane, the node and the rollout.
        const pauseMs = 10;
        const acked = new Array<number>(workers).fill(0);
        const load = startLoad({
            to: frontend,
            workers,
            maxRequests,
            maxSeconds,
            pauseMs,
            // Each worker owns a counter: POST then GET, in turn.
            next: (w, n) => ({ method: n % 2 === 0 ? "POST" : "GET", path: `/users/${7000 + w}` }),
            onOk: (w, method) => {
                if (method === "POST") acked[w]++;
            },
        });
        let figures: LoadResult;
        try {
            await sleep(2000);
            const start = process.hrtime.bigint();
            const up = await stack.up();
            const upSeconds = secondsSince(start);
            assert.equal(up.summary.result, "succeeded");
            // The backend image and the backend Deployment, nothing else.
            assert.deepEqual(up.summary.resourceChanges?.update, 2);
            // The engine returns once the new pods are available; the old ones may still be draining.
            const drained = await waitUntil(
                "the old backend pods to be gone",
                async () => (await pods("app")).every((p) => !oldPods.includes(p.metadata?.name)),
                180,
            );
            console.log(
                `      up (backend image): ${upSeconds.toFixed(1)} s; old pods gone ${drained.toFixed(1)} s later`,
            );
            await sleep(2000);
        } finally {
            figures = await load.stop();
            console.log(
                `      load during the rollout: ${figures.sent} sent, ${figures.ok} ok, ${figures.failed} failed ` +
                    `in ${figures.seconds.toFixed(1)} s ${JSON.stringify(figures.failures)}`,
            );
        }
        const images = (await pods("app")).map((p) => p.spec?.containers[0].image);
        assert.equal(new Set(images).size, 1, `one image: ${images}`);
        assert.notEqual(images[0], oldImage, "the new build");
        assertPulledFromRegistry(await pods("app"));
        assert.ok(figures.sent < maxRequests && figures.seconds < maxSeconds, "the load lasted the whole rollout");
        assert.ok(figures.ok >= 200, `too little load to mean anything: ${figures.ok}`);
        assert.equal(figures.failed, 0, `failed requests: ${JSON.stringify(figures.failures)}`);
        // Every acknowledged POST counted exactly once.
        for (let w = 0; w < workers; w++) {
            const reply = await request(frontend, "GET", `/users/${7000 + w}`);
            assert.equal(reply.body, String(acked[w]), `user ${7000 + w}`);
        }
    });

    it("8. destroy leaves no pod, container, sandbox, PersistentVolume, volume data or CNI allocation", async () => {
        // What destroy must remove, each checked present first so that its absence afterwards means something.
        const volume = (await kube.core.listPersistentVolume()).items.find(
            (v) => v.spec?.claimRef?.namespace === namespace && v.spec.claimRef.name === REDIS_NAMES.claim,
        );
        const volumeName = volume?.metadata?.name ?? "";
        const dataDir = volume?.spec?.hostPath?.path ?? "";
        assert.ok(volumeName && dataDir, "the claim's volume and its hostPath");
        assert.ok(pathExists(real, path.join(dataDir, "appendonlydir")), `Redis's AOF is on the volume (${dataDir})`);
        const podIPs = (await pods()).map((p) => p.status?.podIP ?? "");
        const cniDirs = cniAllocationDirs(real);
        assert.deepEqual(allocatedIPs(real, cniDirs, podIPs), podIPs, `allocations of the pods' IPs in ${cniDirs}`);
        assert.ok(runtimeObjects(real, namespace).length >= 10, "containers and sandboxes of the namespace");

        const start = process.hrtime.bigint();
        const destroy = await stack.destroy();
        console.log(`      destroy: ${secondsSince(start).toFixed(1)} s`);
        assert.equal(destroy.summary.result, "succeeded");
        await assert.rejects(kube.core.readNamespace({ name: namespace }), (e: { code?: number }) => e.code === 404);

        // kubelet removes stopped sandboxes and the volume's deleter runs after the namespace is gone: poll.
        const leftovers = async () => ({
            pods: (await kube.core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${namespace}` })).items
                .length,
            runtime: runtimeObjects(real, namespace),
            cniAllocations: allocatedIPs(real, cniDirs, podIPs),
            volume: (await kube.core.listPersistentVolume()).items.some((v) => v.metadata?.name === volumeName),
            dataDir: pathExists(real, dataDir),
        });
        const nothing = { pods: 0, runtime: [], cniAllocations: [], volume: false, dataDir: false };
        const gone = await waitUntil(
            "nothing of the namespace left on the node",
            async () => JSON.stringify(await leftovers()) === JSON.stringify(nothing),
            180,
        ).catch(() => undefined);
        assert.deepEqual(await leftovers(), nothing);
        console.log(`      node clean ${gone?.toFixed(1)} s after destroy`);
    });
});
