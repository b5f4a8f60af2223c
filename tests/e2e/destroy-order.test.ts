// Destroy in a safe order, on a real API server: a LoadBalancer Service whose cloud finalizer is held, and
// the Redis volume the program owns (redisHostPath) whose deletion is held, are both gone before the
// namespace is deleted. A stand-in controller plays the cloud: it gives the Service an address and the
// `service.kubernetes.io/load-balancer-cleanup` finalizer, holds a finalizer on the volume, and releases
// each a few seconds after its deletion starts. scripts/test-e2e.sh provides the toolchain and cluster.
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { Cluster, clusterFromEnv, localStackConfig } from "../../tools/engine/cluster";
import { createStack, removeStack, uniqueName } from "../../tools/engine/stacks";
import { isNotFound, KubeClients, kubeClients } from "../helpers/engine";

const LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup";
/** The stand-in's own hold on the volume, like a storage driver still releasing the disk. */
const VOLUME_FINALIZER = "three-tier-app.test/hold";
const HOLD_MS = 4000;
/** The address the stand-in gives the load balancer: TEST-NET-3, never contacted. */
const LB_ADDRESS = "203.0.113.10";
const JSON_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch);

/** Pulumi names whose deletion the test follows. */
const SERVICE = "web-frontend-service";
const CLAIM = "web-redis-data";
const VOLUME = "web-redis-volume";
const NAMESPACE = "web-namespace";

type Finalized = { metadata?: { name?: string; finalizers?: string[]; deletionTimestamp?: Date } };

/** The JSON Patch that sets an object's finalizers, guarded by the list it read (a conflict fails it). */
function finalizersPatch(object: Finalized, finalizers: string[]) {
    const read = object.metadata?.finalizers;
    return [
        ...(read === undefined ? [] : [{ op: "test", path: "/metadata/finalizers", value: read }]),
        { op: "add", path: "/metadata/finalizers", value: finalizers },
    ];
}

/**
 * Plays the cloud for one namespace until stopped: polls every 200 ms, bounded by `deadline`. Records when
 * it released each hold.
 */
class StandIn {
    readonly released = new Map<string, number>();
    /** Failed ticks, printed when an assertion on the holds fails. */
    readonly errors: string[] = [];
    private readonly deletionSeen = new Map<string, number>();
    private running = true;
    private loop?: Promise<void>;

    constructor(
        private readonly kube: KubeClients,
        private readonly namespace: string,
        private readonly volumeName: string,
        private readonly deadline: number,
    ) {}

    start() {
        this.loop = (async () => {
            while (this.running && Date.now() < this.deadline) {
                // A patch that lost a race (changed finalizers, an object just gone) is retried on the next tick.
                await this.tick().catch((e: unknown) => this.errors.push(String(e)));
                await new Promise((r) => setTimeout(r, 200));
            }
        })();
    }

    async stop() {
        this.running = false;
        await this.loop;
    }

    /** Whether a deleted object's hold has been kept for HOLD_MS since its deletion was first seen. */
    private due(key: string, object: Finalized): boolean {
        if (object.metadata?.deletionTimestamp === undefined) return false;
        const seen = this.deletionSeen.get(key) ?? Date.now();
        this.deletionSeen.set(key, seen);
        return Date.now() - seen >= HOLD_MS;
    }

    private async tick() {
        const services = await this.kube.core.listNamespacedService({ namespace: this.namespace });
        for (const service of services.items.filter((s) => s.spec?.type === "LoadBalancer")) {
            const name = service.metadata!.name!;
            const finalizers = service.metadata?.finalizers ?? [];
            const key = `Service ${name}`;
            if (!finalizers.includes(LB_FINALIZER) && service.metadata?.deletionTimestamp === undefined) {
                await this.kube.core.patchNamespacedService(
                    { name, namespace: this.namespace, body: finalizersPatch(service, [...finalizers, LB_FINALIZER]) },
                    JSON_PATCH,
                );
            }
            if ((service.status?.loadBalancer?.ingress ?? []).length === 0) {
                await this.kube.core.patchNamespacedServiceStatus(
                    {
                        name,
                        namespace: this.namespace,
                        body: [{ op: "add", path: "/status/loadBalancer", value: { ingress: [{ ip: LB_ADDRESS }] } }],
                    },
                    JSON_PATCH,
                );
            }
            if (finalizers.includes(LB_FINALIZER) && this.due(key, service)) {
                const rest = finalizers.filter((f) => f !== LB_FINALIZER);
                await this.kube.core.patchNamespacedService(
                    { name, namespace: this.namespace, body: finalizersPatch(service, rest) },
                    JSON_PATCH,
                );
                this.released.set(key, Date.now());
            }
        }
        const volumes = await this.kube.core.listPersistentVolume({
            fieldSelector: `metadata.name=${this.volumeName}`,
        });
        for (const volume of volumes.items) {
            const finalizers = volume.metadata?.finalizers ?? [];
            if (!finalizers.includes(VOLUME_FINALIZER) && volume.metadata?.deletionTimestamp === undefined) {
                await this.kube.core.patchPersistentVolume(
                    { name: this.volumeName, body: finalizersPatch(volume, [...finalizers, VOLUME_FINALIZER]) },
                    JSON_PATCH,
                );
            }
            if (finalizers.includes(VOLUME_FINALIZER) && this.due("PersistentVolume", volume)) {
                const rest = finalizers.filter((f) => f !== VOLUME_FINALIZER);
                await this.kube.core.patchPersistentVolume(
                    { name: this.volumeName, body: finalizersPatch(volume, rest) },
                    JSON_PATCH,
                );
                this.released.set("PersistentVolume", Date.now());
            }
        }
    }
}

/** When the engine started and finished deleting each resource, by Pulumi name, in event order. */
function deletions(events: readonly EngineEvent[]) {
    const steps = new Map<string, { start: number; done?: number }>();
    events.forEach((e, i) => {
        const pre = e.resourcePreEvent?.metadata;
        const out = e.resOutputsEvent?.metadata;
        if (pre?.op === "delete") steps.set(pre.urn.split("::").pop()!, { start: i });
        if (out?.op === "delete") {
            const step = steps.get(out.urn.split("::").pop()!);
            if (step) step.done = i;
        }
    });
    return steps;
}

describe("engine: destroy deletes held LoadBalancer Services and the Redis volume before the namespace", function () {
    this.timeout(15 * 60 * 1000);
    let cluster: Cluster;
    let kube: KubeClients;
    let stack: Stack;
    let standIn: StandIn;
    const namespace = uniqueName("e2e-destroy");
    const volumeName = `${namespace}-redis-data`;

    before(async () => {
        cluster = clusterFromEnv();
        kube = kubeClients(cluster);
        stack = await createStack(namespace, cluster, namespace, {
            ...localStackConfig(),
            frontendServiceType: "LoadBalancer",
            // Under the in-tree hostPath provisioner's directory, which the local node keeps writable.
            redisHostPath: `/tmp/hostpath_pv/${namespace}`,
        });
        standIn = new StandIn(kube, namespace, volumeName, Date.now() + 14 * 60 * 1000);
        standIn.start();
    });

    after(async () => {
        // The stand-in keeps releasing holds until the leftovers are destroyed, or a failed test would hang here.
        try {
            if (stack) await removeStack(stack);
        } finally {
            await standIn?.stop();
        }
    });

    it("ups with the load balancer's address and the claim bound to the owned volume", async () => {
        const up = await stack.up();
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.frontendUrl.value, `http://${LB_ADDRESS}`);
        const claim = await kube.core.readNamespacedPersistentVolumeClaim({ name: "redis-data", namespace });
        assert.equal(claim.spec?.volumeName, volumeName);
        assert.equal(claim.status?.phase, "Bound");
        const service = await kube.core.readNamespacedService({ name: "nginx", namespace });
        assert.ok(service.metadata?.finalizers?.includes(LB_FINALIZER));
        const volume = await kube.core.readPersistentVolume({ name: volumeName });
        assert.ok(volume.metadata?.finalizers?.includes(VOLUME_FINALIZER));
    });

    it("destroys Service and volume, each after its hold, before it deletes the namespace; nothing is left", async () => {
        const events: EngineEvent[] = [];
        const destroy = await stack.destroy({ onEvent: (e) => events.push(e) });
        assert.equal(destroy.summary.result, "succeeded");
        const steps = deletions(events);
        const [service, claim, volume, ns] = [SERVICE, CLAIM, VOLUME, NAMESPACE].map((name) => {
            const step = steps.get(name);
            assert.ok(step?.done !== undefined, `${name} was deleted`);
            return step as { start: number; done: number };
        });
        assert.ok(service.done < ns.start, "the LoadBalancer Service was gone before the namespace's deletion began");
        assert.ok(claim.done < volume.start, "the claim was gone before the volume's deletion began");
        assert.ok(volume.done < ns.start, "the volume was gone before the namespace's deletion began");
        // The engine really waited for the holds: both were released, by the stand-in, during the destroy.
        assert.deepEqual(
            [...standIn.released.keys()].sort(),
            ["PersistentVolume", "Service nginx"],
            `stand-in errors: ${standIn.errors.slice(-5).join("; ")}`,
        );

        assert.ok(await isNotFound(() => kube.core.readNamespace({ name: namespace })), "namespace gone");
        assert.ok(await isNotFound(() => kube.core.readPersistentVolume({ name: volumeName })), "volume gone");
        const left = await kube.core.listPersistentVolume();
        assert.deepEqual(
            left.items.filter((v) => v.spec?.claimRef?.namespace === namespace).map((v) => v.metadata?.name),
            [],
        );
    });
});
