import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { Redis, REDIS_NAMES } from "../../components/redis";
import { renderRedisConfig } from "../../components/redis-config";
import { referencedImage } from "../../components/workload";
import { byKubeName, K8S, ofType, runUnderMocks, secretValue, unwrap } from "../helpers/mocks";
import { OptionRecorder } from "../helpers/options";

const BASE = {
    namespace: "ns",
    instance: "test",
    image: referencedImage("redis:7.4.2-alpine"),
    storageSize: "10Gi",
    accessMode: "ReadWriteOnce" as const,
    allowFrom: { app: "web", service: "app" },
};

function build(
    extra: Partial<typeof BASE> & { redisPassword?: string; storageClass?: string; generatePassword?: boolean } = {},
) {
    return runUnderMocks(() => {
        const provider = new k8s.Provider("test", {});
        return { provider, redis: new Redis("redis", { ...BASE, ...extra }, { provider }) };
    });
}

describe("Redis", () => {
    it("registers the tutorial's objects, all in the namespace through the given provider", async () => {
        const { resources } = await build();
        const kinds = resources.filter((r) => r.type !== K8S.provider).map((r) => `${r.type} ${r.kubeName}`);
        assert.deepEqual(
            kinds.sort(),
            [
                `${K8S.configMap} redis-config-a1b2c3d4`,
                `${K8S.networkPolicy} redis-ingress`,
                `${K8S.claim} redis-data`,
                `${K8S.service} redis`,
                `${K8S.service} redis-headless`,
                `${K8S.statefulSet} redis`,
            ].sort(),
        );
        for (const r of resources.filter((r) => r.type !== K8S.provider)) {
            assert.equal(r.inputs.metadata.namespace, "ns", r.name);
            assert.equal(
                r.provider,
                "urn:pulumi:test::three-tier-app::pulumi:providers:kubernetes::test::test-id",
                r.name,
            );
        }
    });

    it("keeps data on the redis-data claim with append-only persistence", async () => {
        const { resources } = await build({ storageClass: "standard-rwo", storageSize: "20Gi" });
        const claim = byKubeName(resources, K8S.claim, REDIS_NAMES.claim).inputs;
        assert.deepEqual(claim.spec, {
            accessModes: ["ReadWriteOnce"],
            storageClassName: "standard-rwo",
            resources: { requests: { storage: "20Gi" } },
        });
        const config = ofType(resources, K8S.configMap)[0];
        const redisConf = config.inputs.data["redis.conf"];
        assert.equal(redisConf, renderRedisConfig({ port: 6379, dataDir: "/data" }));
        assert.match(redisConf, /^appendonly yes$/m);
        assert.match(redisConf, /^appendfsync everysec$/m);

        const pod = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec;
        assert.deepEqual(pod.volumes, [
            { name: "data", persistentVolumeClaim: { claimName: "redis-data" } },
            { name: "config", configMap: { name: config.kubeName } },
        ]);
        const container = pod.containers[0];
        assert.deepEqual(container.command, ["redis-server"]);
        assert.deepEqual(container.args, ["/etc/redis/redis.conf"]);
        assert.deepEqual(container.volumeMounts, [
            { name: "data", mountPath: "/data" },
            { name: "config", mountPath: "/etc/redis", readOnly: true },
        ]);
    });

    it("runs as the image's redis user, non-root, with a writable volume", async () => {
        const { resources } = await build();
        const pod = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec;
        assert.deepEqual(pod.securityContext, {
            runAsNonRoot: true,
            runAsUser: 10999,
            runAsGroup: 10999,
            fsGroup: 10999,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        });
        const container = pod.containers[0];
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
        assert.deepEqual(container.resources, {
            requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
            limits: { memory: "512Mi", "ephemeral-storage": "128Mi" },
        });
        assert.deepEqual(container.readinessProbe.exec.command, ["sh", "-c", "redis-cli -p 6379 ping | grep -q PONG"]);
        // Alive while it accepts connections: a Redis too busy to answer PONG in time is not restarted.
        assert.deepEqual(container.livenessProbe, {
            tcpSocket: { port: "redis" },
            periodSeconds: 10,
            timeoutSeconds: 3,
            failureThreshold: 6,
        });
        assert.equal(pod.automountServiceAccountToken, false);
    });

    it("gives Redis five minutes to load its AOF before liveness may kill it; ready only on PONG", async () => {
        const { resources } = await build();
        const container = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec.containers[0];
        const startup = container.startupProbe;
        assert.deepEqual(startup.exec.command, ["sh", "-c", "redis-cli -p 6379 ping | grep -q PONG"]);
        assert.equal(startup.periodSeconds * startup.failureThreshold, 300);
        assert.deepEqual(container.readinessProbe.exec.command, startup.exec.command);
    });

    it("is governed by a headless Service that exists, and served by the ClusterIP Service `redis` on 6379", async () => {
        const { resources, result } = await build();
        const statefulSet = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec;
        const headless = byKubeName(resources, K8S.service, statefulSet.serviceName).inputs.spec;
        assert.equal(statefulSet.serviceName, "redis-headless");
        assert.equal(headless.clusterIP, "None");
        const service = byKubeName(resources, K8S.service, "redis").inputs.spec;
        assert.equal(service.type, "ClusterIP");
        assert.deepEqual(service.ports, [{ name: "redis", port: 6379, targetPort: "redis" }]);
        assert.deepEqual(statefulSet.template.spec.containers[0].ports, [{ name: "redis", containerPort: 6379 }]);
        // Selectors match the pod labels, and both Services pick the same pods.
        assert.deepEqual(statefulSet.selector.matchLabels, { app: "web", service: "redis" });
        for (const [key, value] of Object.entries(statefulSet.selector.matchLabels)) {
            assert.equal(statefulSet.template.metadata.labels[key], value);
        }
        assert.deepEqual(service.selector, statefulSet.selector.matchLabels);
        assert.deepEqual(headless.selector, statefulSet.selector.matchLabels);
        assert.equal(statefulSet.replicas, 1);
        assert.equal(await unwrap(result.redis.address), "redis:6379");
        for (const name of ["redis", "redis-headless"]) {
            const annotations = byKubeName(resources, K8S.service, name).inputs.metadata.annotations;
            assert.deepEqual(annotations, { "pulumi.com/skipAwait": "true" }, name);
        }
    });

    it("admits only the given clients, on 6379", async () => {
        const { resources } = await build();
        const policy = byKubeName(resources, K8S.networkPolicy, "redis-ingress").inputs.spec;
        assert.deepEqual(policy.podSelector, { matchLabels: { app: "web", service: "redis" } });
        assert.deepEqual(policy.ingress, [
            {
                from: [{ podSelector: { matchLabels: { app: "web", service: "app" } } }],
                ports: [{ protocol: "TCP", port: 6379 }],
            },
        ]);
    });

    it("has no Secret and no password flag without a password", async () => {
        const { resources, result } = await build();
        assert.equal(ofType(resources, K8S.secret).length, 0);
        assert.equal(result.redis.redisPassword, undefined);
        assert.deepEqual(
            byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec.containers[0].env,
            [],
        );
    });

    it("requires a password kept in a Secret, never in the ConfigMap", async () => {
        const { resources, result } = await build({ redisPassword: "s3cr3t-pass" });
        const secrets = ofType(resources, K8S.secret);
        assert.equal(secrets.length, 1);
        assert.equal(secretValue(secrets[0].inputs.stringData).password, "s3cr3t-pass");
        const secretName = secrets[0].kubeName;
        assert.equal(await unwrap(result.redis.redisPassword?.name), secretName);

        const container = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec.containers[0];
        assert.deepEqual(container.args, ["/etc/redis/redis.conf", "--requirepass", "$(REDIS_PASSWORD)"]);
        const fromSecret = { valueFrom: { secretKeyRef: { name: secretName, key: "password" } } };
        assert.deepEqual(container.env, [
            { name: "REDIS_PASSWORD", ...fromSecret },
            { name: "REDISCLI_AUTH", ...fromSecret },
        ]);
        assert.doesNotMatch(ofType(resources, K8S.configMap)[0].inputs.data["redis.conf"], /s3cr3t-pass/);
    });

    it("generates a password when told to and none is given, and keeps it secret in the Secret", async () => {
        const { resources } = await build({ generatePassword: true });
        const generated = ofType(resources, "pulumi-nodejs:dynamic:Resource");
        assert.deepEqual(
            generated.map((g) => g.name),
            ["redis-password"],
        );
        const secrets = ofType(resources, K8S.secret);
        assert.equal(secretValue(secrets[0].inputs.stringData).password, "generated-password-of-redis-password");
        const container = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec.containers[0];
        assert.deepEqual(container.args, ["/etc/redis/redis.conf", "--requirepass", "$(REDIS_PASSWORD)"]);
    });

    it("a given password wins over generating one", async () => {
        const { resources } = await build({ generatePassword: true, redisPassword: "s3cr3t-pass" });
        assert.equal(ofType(resources, "pulumi-nodejs:dynamic:Resource").length, 0);
        assert.equal(secretValue(ofType(resources, K8S.secret)[0].inputs.stringData).password, "s3cr3t-pass");
    });

    for (const protect of [true, false, undefined]) {
        it(`protect ${protect}: Pulumi protect on the claim ${protect === true ? "only" : "off"}`, async () => {
            const recorder = new OptionRecorder();
            await runUnderMocks(
                () => new Redis("redis", { ...BASE, protect }, { transformations: [recorder.transformation] }),
            );
            assert.deepEqual(recorder.protectedNames(), protect === true ? ["redis-data"] : []);
        });
    }

    describe("with hostPath: a volume it owns, bound to the claim by name", () => {
        const VOLUME = "kubernetes:core/v1:PersistentVolume";

        it("binds the claim to that volume only, and the volume to that claim only", async () => {
            const { resources } = await runUnderMocks(
                () => new Redis("redis", { ...BASE, storageSize: "1Gi", hostPath: "/tmp/hostpath_pv/ns-redis" }),
            );
            const volume = byKubeName(resources, VOLUME, "ns-redis-data").inputs;
            assert.deepEqual(volume.spec, {
                capacity: { storage: "1Gi" },
                accessModes: ["ReadWriteOnce"],
                storageClassName: "",
                persistentVolumeReclaimPolicy: "Retain",
                hostPath: { path: "/tmp/hostpath_pv/ns-redis", type: "DirectoryOrCreate" },
                claimRef: { namespace: "ns", name: "redis-data" },
            });
            assert.equal(volume.metadata.labels["app.kubernetes.io/instance"], "test");
            const claim = byKubeName(resources, K8S.claim, REDIS_NAMES.claim).inputs.spec;
            assert.equal(claim.volumeName, "ns-redis-data");
            assert.equal(claim.storageClassName, "");
        });

        it("deletes the claim before the volume, and protects both when asked", async () => {
            const recorder = new OptionRecorder();
            await runUnderMocks(
                () =>
                    new Redis(
                        "redis",
                        { ...BASE, hostPath: "/data/redis", protect: true },
                        { transformations: [recorder.transformation] },
                    ),
            );
            const claim = recorder.inputs(K8S.claim, "redis-data");
            assert.deepEqual(recorder.dependenciesOf(claim.spec.volumeName), ["redis-volume"]);
            assert.deepEqual(recorder.protectedNames(), ["redis-data", "redis-volume"]);
        });
    });

    describe("with gceDisk: a volume it owns on a GKE persistent disk", () => {
        it("mounts the disk through the PD CSI driver in its zone; the claim binds that volume by name", async () => {
            const recorder = new OptionRecorder();
            const { resources } = await runUnderMocks(() => {
                const handle = new k8s.core.v1.ConfigMap("stands-for-the-disk", {});
                return new Redis(
                    "redis",
                    { ...BASE, gceDisk: { id: handle.id, zone: "us-central1-a" } },
                    { transformations: [recorder.transformation] },
                );
            });
            const volume = byKubeName(resources, "kubernetes:core/v1:PersistentVolume", "ns-redis-data").inputs.spec;
            assert.deepEqual(volume.csi, {
                driver: "pd.csi.storage.gke.io",
                volumeHandle: "stands-for-the-disk-id",
                fsType: "ext4",
            });
            assert.deepEqual(volume.nodeAffinity.required.nodeSelectorTerms, [
                { matchExpressions: [{ key: "topology.gke.io/zone", operator: "In", values: ["us-central1-a"] }] },
            ]);
            assert.equal(volume.hostPath, undefined);
            const claim = recorder.inputs(K8S.claim, "redis-data");
            assert.deepEqual(recorder.dependenciesOf(claim.spec.volumeName), ["redis-volume"]);
        });

        it("refuses hostPath and gceDisk together", async () =>
            assert.rejects(
                runUnderMocks(
                    () =>
                        new Redis("redis", { ...BASE, hostPath: "/data", gceDisk: { id: "d", zone: "us-central1-a" } }),
                ),
                { message: "RedisArgs: give hostPath or gceDisk, not both" },
            ));
    });
});
