// The real engine on a real API server: what `pulumi preview/up/refresh/destroy` do for users.
// Runs in order; each step prints its wall time. scripts/test-e2e.sh provides the toolchain and cluster.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../../project";
import { Cluster, clusterFromEnv, describeNode, localStackConfig, nodeFromEnv } from "../../tools/engine/cluster";
import { createStack, forgetStack, removeStack, secondsSince, uniqueName } from "../../tools/engine/stacks";
import {
    changeBackendSource,
    changesOf,
    isNotFound,
    KubeClients,
    kubeClients,
    programCopy,
    waitUntil,
} from "../helpers/engine";

const APP_SELECTOR = `app.kubernetes.io/part-of=${PROJECT}`;

/** The Kubernetes objects the program creates, as "kind name" (see tests/index.test.ts for the full set). */
const EXPECTED_CREATES = [
    "kubernetes:apps/v1:Deployment web-backend-deployment",
    "kubernetes:apps/v1:Deployment web-frontend-deployment",
    "kubernetes:apps/v1:StatefulSet web-redis-statefulset",
    "kubernetes:core/v1:ConfigMap web-backend-config",
    "kubernetes:core/v1:ConfigMap web-frontend-config",
    "kubernetes:core/v1:ConfigMap web-redis-config",
    "kubernetes:core/v1:Namespace web-namespace",
    "kubernetes:core/v1:PersistentVolumeClaim web-redis-data",
    "kubernetes:core/v1:Service web-backend-service",
    "kubernetes:core/v1:Service web-frontend-service",
    "kubernetes:core/v1:Service web-redis-headless",
    "kubernetes:core/v1:Service web-redis-service",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-backend-egress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-backend-ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-default-deny",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-default-deny-egress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-dns-egress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-frontend-egress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-frontend-ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy web-redis-ingress",
    "kubernetes:policy/v1:PodDisruptionBudget web-backend-pdb",
    "kubernetes:policy/v1:PodDisruptionBudget web-frontend-pdb",
    "pulumi-nodejs:dynamic:Resource web-images-backend",
    "pulumi-nodejs:dynamic:Resource web-images-nginx",
    "pulumi-nodejs:dynamic:Resource web-images-redis",
    "pulumi:providers:kubernetes kubeconfig-k8s",
    "pulumi:providers:pulumi-nodejs default",
    "pulumi:pulumi:Stack three-tier-app-STACK",
    "three-tier-app:index:AppImages web-images",
    "three-tier-app:index:Backend web-backend",
    "three-tier-app:index:Frontend web-frontend",
    "three-tier-app:index:KubeconfigCluster kubeconfig",
    "three-tier-app:index:Redis web-redis",
    "three-tier-app:index:ThreeTierApp web",
];

/** What an operation's summary counts: not the default provider the engine makes for the dynamic resources. */
const COUNTED_RESOURCES = EXPECTED_CREATES.length - 1;

async function timed<T>(title: string, work: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
        return await work();
    } finally {
        console.log(`      ${title}: ${secondsSince(start).toFixed(1)} s`);
    }
}

async function collect<T>(work: (onEvent: (e: EngineEvent) => void) => Promise<T>): Promise<[T, EngineEvent[]]> {
    const events: EngineEvent[] = [];
    const result = await work((e) => events.push(e));
    return [result, events];
}

/**
 * Every object of one stack, anywhere in the cluster, as "kind namespace/name": the program labels each
 * (pods through their templates) with `app.kubernetes.io/instance: <stack name>`, so another stack of the
 * app in the same cluster (the user's `local`) is not counted.
 */
async function stackObjects(kube: KubeClients, stackName: string): Promise<string[]> {
    const q = { labelSelector: `app.kubernetes.io/instance=${stackName}` };
    const lists: [string, Promise<{ items: { metadata?: { namespace?: string; name?: string } }[] }>][] = [
        ["Namespace", kube.core.listNamespace(q)],
        ["Deployment", kube.apps.listDeploymentForAllNamespaces(q)],
        ["StatefulSet", kube.apps.listStatefulSetForAllNamespaces(q)],
        ["Service", kube.core.listServiceForAllNamespaces(q)],
        ["ConfigMap", kube.core.listConfigMapForAllNamespaces(q)],
        ["Secret", kube.core.listSecretForAllNamespaces(q)],
        ["PersistentVolumeClaim", kube.core.listPersistentVolumeClaimForAllNamespaces(q)],
        ["NetworkPolicy", kube.networking.listNetworkPolicyForAllNamespaces(q)],
        ["PodDisruptionBudget", kube.policy.listPodDisruptionBudgetForAllNamespaces(q)],
        ["Pod", kube.core.listPodForAllNamespaces(q)],
    ];
    const found: string[] = [];
    for (const [kind, list] of lists) {
        for (const item of (await list).items)
            found.push(`${kind} ${item.metadata?.namespace ?? ""}/${item.metadata?.name}`);
    }
    return found;
}

describe("engine: preview, up, update, refresh, destroy on a real API server", function () {
    this.timeout(15 * 60 * 1000);
    const node = nodeFromEnv();
    let cluster: Cluster;
    let kube: KubeClients;
    let stack: Stack;
    // Stack `local`'s settings: the cluster's registry, which the images the program builds are pushed to.
    let config: Record<string, string>;
    /** A copy of the program, whose API source step 4 changes. */
    let programDir: string;
    const namespace = uniqueName("e2e");

    before(async () => {
        console.log(`      ${describeNode(node)}`);
        cluster = clusterFromEnv();
        kube = kubeClients(cluster);
        config = localStackConfig();
        programDir = programCopy();
        stack = await timed("create stack", () => createStack(namespace, cluster, namespace, config, programDir));
    });

    after(async () => {
        if (stack) await removeStack(stack);
        if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
    });

    it("1. previews a new stack: the expected creates, no errors", async () => {
        const [preview, events] = await timed("preview (new stack)", () =>
            collect((onEvent) => stack.preview({ onEvent })),
        );
        const creates = changesOf(events).map((c) => c.replace(/^create /, "").replace(stack.name, "STACK"));
        assert.deepEqual(creates, [...EXPECTED_CREATES].sort());
        assert.deepEqual(Object.keys(preview.changeSummary), ["create"]);
        assert.deepEqual(
            events.filter((e) => e.diagnosticEvent?.severity === "error"),
            [],
        );
    });

    it("2. ups: the tutorial's objects exist with their names, labels and ports, all replicas ready", async () => {
        const up = await timed("up (create)", () => stack.up());
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.namespace.value, namespace);
        // The URL names a node only where the stack knows one's address (frontendHost).
        const nodePort = (await kube.core.readNamespacedService({ name: "nginx", namespace })).spec?.ports?.[0]
            .nodePort;
        const url = config.frontendHost ? `http://${config.frontendHost}:${nodePort}` : "";
        assert.equal(up.outputs.frontendUrl.value, url);

        for (const [name, service] of [
            ["frontend", "nginx"],
            ["backend", "app"],
        ]) {
            const d = await kube.apps.readNamespacedDeployment({ name, namespace });
            assert.deepEqual(d.spec?.selector.matchLabels, { app: "web", service }, name);
            assert.equal(d.spec?.replicas, 2, name);
            assert.equal(d.status?.readyReplicas, 2, name);
            assert.equal(d.status?.updatedReplicas, 2, name);
        }
        const redis = await kube.apps.readNamespacedStatefulSet({ name: "redis", namespace });
        assert.deepEqual(redis.spec?.selector.matchLabels, { app: "web", service: "redis" });
        assert.equal(redis.spec?.serviceName, "redis-headless");
        assert.equal(redis.status?.readyReplicas, 1);

        const ports = async (name: string) => {
            const s = await kube.core.readNamespacedService({ name, namespace });
            return [s.spec?.type, s.spec?.clusterIP === "None" ? "headless" : "ip", s.spec?.ports?.map((p) => p.port)];
        };
        assert.deepEqual(await ports("nginx"), ["NodePort", "ip", [80]]);
        assert.deepEqual(await ports("app"), ["ClusterIP", "ip", [1323]]);
        assert.deepEqual(await ports("redis"), ["ClusterIP", "ip", [6379]]);
        assert.deepEqual(await ports("redis-headless"), ["ClusterIP", "headless", [6379]]);

        // The engine does not wait for Service endpoints (skipAwait): check each Service picks ready pods. The
        // EndpointSlice controller follows pod readiness on its own, so give it a few seconds.
        const readyEndpoints = async (service: string) => {
            const slices = await kube.discovery.listNamespacedEndpointSlice({
                namespace,
                labelSelector: `kubernetes.io/service-name=${service}`,
            });
            return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length;
        };
        const expected = { nginx: 2, app: 2, redis: 1 };
        const endpoints = async () => ({
            nginx: await readyEndpoints("nginx"),
            app: await readyEndpoints("app"),
            redis: await readyEndpoints("redis"),
        });
        await waitUntil("ready endpoints", async () => isDeepStrictEqual(await endpoints(), expected), 10).catch(
            () => undefined,
        );
        assert.deepEqual(await endpoints(), expected, "ready endpoints of each Service");

        const claim = await kube.core.readNamespacedPersistentVolumeClaim({ name: "redis-data", namespace });
        assert.equal(claim.status?.phase, "Bound");
        assert.equal(claim.spec?.resources?.requests?.storage, config.redisStorageSize ?? "10Gi");

        const configMaps = await kube.core.listNamespacedConfigMap({ namespace, labelSelector: APP_SELECTOR });
        assert.equal(configMaps.items.length, 3);
        const policies = await kube.networking.listNamespacedNetworkPolicy({ namespace });
        assert.deepEqual(policies.items.map((p) => p.metadata?.name).sort(), [
            "backend-egress",
            "backend-ingress",
            "default-deny-egress",
            "default-deny-ingress",
            "dns-egress",
            "nginx-egress",
            "nginx-ingress",
            "redis-ingress",
        ]);

        // What step 7 expects to be gone, found now by the same label.
        const kinds: Record<string, number> = {};
        for (const object of await stackObjects(kube, stack.name)) {
            const kind = object.split(" ")[0];
            kinds[kind] = (kinds[kind] ?? 0) + 1;
        }
        assert.deepEqual(kinds, {
            Namespace: 1,
            Deployment: 2,
            StatefulSet: 1,
            Service: 4,
            ConfigMap: 3,
            PersistentVolumeClaim: 1,
            NetworkPolicy: 8,
            PodDisruptionBudget: 2,
            Pod: 5,
        });
    });

    it("3. previews again right after up: no changes", async () => {
        const [preview, events] = await timed("preview (no-op)", () =>
            collect((onEvent) => stack.preview({ onEvent })),
        );
        assert.deepEqual(changesOf(events), []);
        assert.deepEqual(Object.keys(preview.changeSummary), ["same"]);
    });

    it("4. a change of the API's source: preview shows its image and Deployment updating, up rolls it out", async () => {
        const image = async () =>
            (await kube.apps.readNamespacedDeployment({ name: "backend", namespace })).spec?.template.spec
                ?.containers[0].image;
        const before = await image();
        const change = changeBackendSource(programDir, namespace);
        const [, events] = await timed("preview (source change)", () =>
            collect((onEvent) => stack.preview({ onEvent })),
        );
        const expected = [
            "update kubernetes:apps/v1:Deployment web-backend-deployment",
            "update pulumi-nodejs:dynamic:Resource web-images-backend",
        ];
        assert.deepEqual(changesOf(events), expected);
        // Reverted, the sources are the deployed ones again: nothing to do.
        fs.rmSync(change);
        const [, reverted] = await timed("preview (reverted)", () => collect((onEvent) => stack.preview({ onEvent })));
        assert.deepEqual(changesOf(reverted), []);

        changeBackendSource(programDir, namespace);
        const up = await timed("up (source change: build, push, roll out)", () => stack.up());
        assert.equal(up.summary.result, "succeeded");
        assert.deepEqual(up.summary.resourceChanges, { same: COUNTED_RESOURCES - 2, update: 2 });
        const d = await kube.apps.readNamespacedDeployment({ name: "backend", namespace });
        const after = d.spec?.template.spec?.containers[0].image ?? "";
        const registry = config.imageRegistry.replace(/[.]/g, "\\.");
        assert.match(after, new RegExp(`^${registry}/backend@sha256:[a-f0-9]{64}$`));
        assert.notEqual(after, before, "a new digest");
        assert.equal(d.metadata?.annotations?.["deployment.kubernetes.io/revision"], "2");
        assert.ok((d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? Infinity));
        assert.equal(d.status?.updatedReplicas, 2);
        assert.equal(d.status?.readyReplicas, 2);
    });

    it("5. refreshes: no drift", async () => {
        const refresh = await timed("refresh", () => stack.refresh());
        assert.equal(refresh.summary.result, "succeeded");
        assert.deepEqual(Object.keys(refresh.summary.resourceChanges ?? {}), ["same"]);
    });

    it("6. refuses bad config before creating anything", async () => {
        const badName = uniqueName("e2e-bad");
        const bad = await createStack(badName, cluster, badName, { backendReplicas: "-1" });
        try {
            const message = /three-tier-app:backendReplicas must be a whole number from 1 to 20 \(got "-1"\)/;
            await timed("preview (bad config)", () => assert.rejects(bad.preview(), message));
            await timed("up (bad config)", () => assert.rejects(bad.up(), message));
            const state = await bad.exportStack();
            const created = (state.deployment.resources ?? []).filter(
                (r: { type: string }) => r.type !== "pulumi:pulumi:Stack",
            );
            assert.deepEqual(created, []);
            assert.ok(await isNotFound(() => kube.core.readNamespace({ name: badName })));
        } finally {
            await removeStack(bad);
        }
    });

    it("7. a registry that cannot be reached fails up, naming it and the image, before any workload exists", async () => {
        const name = uniqueName("e2e-noreg");
        // A port on loopback where nothing listens: the push is refused at once.
        const registry = "127.0.0.1:9/three-tier-app";
        const broken = await createStack(name, cluster, name, { ...config, imageRegistry: registry }, programDir);
        try {
            await timed("up (registry unreachable)", () =>
                assert.rejects(broken.up(), (e: Error) => {
                    assert.match(
                        e.message,
                        /push (backend|nginx|redis) to 127\.0\.0\.1:9\/three-tier-app\/(backend|nginx|redis)/,
                    );
                    return true;
                }),
            );
            const workloads = [
                ...(await kube.apps.listNamespacedDeployment({ namespace: name })).items,
                ...(await kube.apps.listNamespacedStatefulSet({ namespace: name })).items,
            ];
            assert.deepEqual(workloads, []);
        } finally {
            await removeStack(broken);
        }
    });

    it("8. destroys: nothing of its stack is left, the namespace is gone, the stack is removed", async () => {
        const destroy = await timed("destroy", () => stack.destroy());
        assert.equal(destroy.summary.result, "succeeded");
        assert.deepEqual(destroy.summary.resourceChanges, { delete: COUNTED_RESOURCES });
        assert.ok(await isNotFound(() => kube.core.readNamespace({ name: namespace })));
        assert.deepEqual(await stackObjects(kube, stack.name), []);
        // The claim's volume is reclaimed by the controller after the claim is gone: give it a little time.
        const leftVolumes = async () =>
            (await kube.core.listPersistentVolume()).items
                .filter((v) => v.spec?.claimRef?.namespace === namespace)
                .map((v) => v.metadata?.name);
        await waitUntil("volumes reclaimed", async () => (await leftVolumes()).length === 0, 30).catch(() => undefined);
        assert.deepEqual(await leftVolumes(), []);
        await forgetStack(stack);
        assert.ok(!(await stack.workspace.listStacks()).some((s) => s.name === stack.name));
    });
});
