import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GeneratedPassword } from "./generated-password";
import { renderRedisConfig } from "./redis-config";
import {
    ContainerImage,
    ContainerResources,
    containerSecurityContext,
    envFromSecret,
    EPHEMERAL_STORAGE,
    ingressOnlyFrom,
    podSecurityContext,
    podTemplate,
    probes,
    startupProbe,
    rolloutTimeouts,
    resourceRequirements,
    selectorLabels,
    SecretKeyRef,
    serviceAnnotations,
    tierLabels,
    workloadLabels,
    PodPlacement,
} from "./workload";

export const REDIS_PORT = 6379;
/** The tutorial's names: `kubectl get svc` shows `redis`, `kubectl get pvc` shows `redis-data`. */
export const REDIS_NAMES = {
    statefulSet: "redis",
    service: "redis",
    governingService: "redis-headless",
    claim: "redis-data",
    networkPolicy: "redis-ingress",
} as const;
const SELECTOR = selectorLabels("redis");
/** Suffix of the owned volume's name, after the namespace: PersistentVolumes are cluster-wide. */
const VOLUME_SUFFIX = "redis-data";
/** The built image's `redis` user, above every host uid (10000+); fsGroup makes the volume writable for it. */
const REDIS_UID = 10999;
const REDIS_DATA_DIR = "/data";
const CONFIG_DIR = "/etc/redis";
const CONFIG_FILE = "redis.conf";
const PASSWORD_KEY = "password";
/** The variable that holds the password in Redis' container and in its clients'. */
export const REDIS_PASSWORD_ENV = "REDIS_PASSWORD";

export const ACCESS_MODES = ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** Defaults of RedisArgs. */
export const REDIS_DEFAULTS = {
    storageSize: "10Gi",
    accessMode: "ReadWriteOnce" as AccessMode,
    protect: false,
} as const;
/**
 * How long Redis may take to answer PONG after a start. The memory limit bounds the dataset to about
 * 512 MiB, whose AOF replays in well under a minute on one core; five minutes leave room for a busy
 * node and a slow disk without letting a Redis that never comes up go unnoticed for long.
 */
const REDIS_STARTUP_SECONDS = 300;
const PING = { exec: ["sh", "-c", `redis-cli -p ${REDIS_PORT} ping | grep -q PONG`] } as const;
const DEFAULT_REDIS_RESOURCES: ContainerResources = {
    cpuRequest: "100m",
    memoryRequest: "128Mi",
    memoryLimit: "512Mi",
    // Its data is on the claim, not the node's disk.
    ...EPHEMERAL_STORAGE,
};

/** A zonal GCE persistent disk. */
export interface GceDisk {
    /** projects/<project>/zones/<zone>/disks/<name>, the PD CSI driver's volume handle. */
    readonly id: pulumi.Input<string>;
    readonly zone: string;
}

/** Where an owned volume's data lives: the PersistentVolume's source. */
function volumeSource(args: RedisArgs): k8s.types.input.core.v1.PersistentVolumeSpec | undefined {
    if (args.hostPath !== undefined && args.gceDisk !== undefined) {
        throw new Error("RedisArgs: give hostPath or gceDisk, not both");
    }
    if (args.hostPath !== undefined) return { hostPath: { path: args.hostPath, type: "DirectoryOrCreate" } };
    if (args.gceDisk === undefined) return undefined;
    return {
        csi: { driver: "pd.csi.storage.gke.io", volumeHandle: args.gceDisk.id, fsType: "ext4" },
        nodeAffinity: {
            required: {
                nodeSelectorTerms: [
                    {
                        matchExpressions: [
                            { key: "topology.gke.io/zone", operator: "In", values: [args.gceDisk.zone] },
                        ],
                    },
                ],
            },
        },
    };
}

export interface RedisArgs {
    /** How long `up` waits for the rollout of the StatefulSet. Default: ROLLOUT_TIMEOUT_SECONDS (workload.ts). */
    readonly rolloutTimeoutSeconds?: number;
    /** Namespace of every child. */
    readonly namespace: pulumi.Input<string>;
    /** Value of `app.kubernetes.io/instance` on every child: which installation (stack) it belongs to. */
    readonly instance: string;
    /** Redis image: Debian's redis-server built by AppImages (uid 10999), or one the stack names. Required. */
    readonly image: ContainerImage;
    /** Size of the `redis-data` claim. Default: REDIS_DEFAULTS.storageSize (10Gi). */
    readonly storageSize?: string;
    /** StorageClass of the claim when it is provisioned dynamically. Default: the cluster's default class. */
    readonly storageClass?: string;
    /**
     * A directory on the node for a PersistentVolume this component owns and binds the claim to by name,
     * instead of one a provisioner makes. The volume is then a Pulumi resource: destroy deletes it after the
     * claim and before the namespace, and waits until it is gone. Single-node clusters only (hostPath).
     * Default: none (the StorageClass provisions the volume, which destroy does not wait for).
     */
    readonly hostPath?: string;
    /**
     * A GCE persistent disk for a PersistentVolume this component owns, as with hostPath (GKE's PD CSI
     * driver attaches it; pods are scheduled in its zone). The disk's owner deletes it, after the volume.
     * Default: none. Not together with hostPath.
     */
    readonly gceDisk?: GceDisk;
    /** Access mode of the claim. Default: REDIS_DEFAULTS.accessMode (ReadWriteOnce). */
    readonly accessMode?: AccessMode;
    /**
     * Pulumi `protect` on the claim (and the volume, when one is given), so a replace or destroy stops
     * before the data goes. Default: REDIS_DEFAULTS.protect (false).
     */
    readonly protect?: boolean;
    /**
     * Password Redis requires, kept in a Secret this component makes (the `redisPassword` output refers to
     * it). Default: generated when generatePassword is set, else none (only the NetworkPolicy guards Redis).
     */
    readonly redisPassword?: pulumi.Input<string>;
    /**
     * Without a password, generate one (GeneratedPassword: made once, kept secret in the stack's state).
     * Default: false.
     */
    readonly generatePassword?: boolean;
    /** Where the pod runs: nodes it selects, taints it tolerates. Default: any node. */
    readonly placement?: pulumi.Input<PodPlacement | undefined>;
    /** Labels of the pods allowed to connect (the backend's). */
    readonly allowFrom: Record<string, string>;
    /** Default: DEFAULT_REDIS_RESOURCES. */
    readonly resources?: ContainerResources;
}

/** The container spec, minus the generated object names it refers to. */
function redisContainer(
    image: pulumi.Input<string>,
    resources: ContainerResources,
    redisPassword?: SecretKeyRef,
): k8s.types.input.core.v1.Container {
    return {
        name: "redis",
        image,
        command: ["redis-server"],
        // The password stays out of the ConfigMap: Kubernetes expands the variable from the Secret.
        args: [`${CONFIG_DIR}/${CONFIG_FILE}`, ...(redisPassword ? ["--requirepass", `$(${REDIS_PASSWORD_ENV})`] : [])],
        ports: [{ name: "redis", containerPort: REDIS_PORT }],
        env: redisPassword
            ? [
                  envFromSecret(REDIS_PASSWORD_ENV, redisPassword),
                  // redis-cli reads it, so the probe authenticates without the password on its command line.
                  envFromSecret("REDISCLI_AUTH", redisPassword),
              ]
            : [],
        // Ready when it answers PONG; alive while it accepts connections (a busy Redis is not restarted).
        ...probes(PING, { tcpPort: "redis" }),
        // Redis answers LOADING, not PONG, while it replays its AOF at start: liveness waits until it has.
        startupProbe: startupProbe(PING, REDIS_STARTUP_SECONDS),
        resources: resourceRequirements(resources),
        securityContext: containerSecurityContext({ readOnlyRootFilesystem: true }),
        volumeMounts: [
            { name: "data", mountPath: REDIS_DATA_DIR },
            { name: "config", mountPath: CONFIG_DIR, readOnly: true },
        ],
    };
}

/** The claim's storage, with RedisArgs' defaults applied. */
interface Storage {
    readonly size: string;
    readonly accessMode: AccessMode;
    readonly protect: boolean;
}

/**
 * The spec of a volume this component owns. The claim names the volume and the volume the claim, so
 * neither binds to anything else; the claimRef carries the namespace Output, so the volume depends on the
 * Namespace: destroy deletes the claim, then the volume (waiting until it is gone), then the namespace.
 */
function ownedVolumeSpec(
    source: k8s.types.input.core.v1.PersistentVolumeSpec,
    storage: Storage,
    namespace: pulumi.Input<string>,
): k8s.types.input.core.v1.PersistentVolumeSpec {
    return {
        capacity: { storage: storage.size },
        accessModes: [storage.accessMode],
        storageClassName: "",
        // Pulumi deletes it (and the disk's owner the disk): a reclaimer racing those deletes could leave
        // storage half-kept.
        persistentVolumeReclaimPolicy: "Retain",
        ...source,
        claimRef: { namespace, name: REDIS_NAMES.claim },
    };
}

/** The `redis-data` claim's spec: bound to the owned volume by name when there is one, else provisioned. */
function claimSpec(
    storage: Storage,
    storageClass: string | undefined,
    volume: k8s.core.v1.PersistentVolume | undefined,
): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    return {
        accessModes: [storage.accessMode],
        // "" (no class) keeps the default StorageClass from being filled in, which would not match the volume.
        storageClassName: volume === undefined ? storageClass : "",
        volumeName: volume?.metadata.name,
        resources: { requests: { storage: storage.size } },
    };
}

/** The pod spec: Redis on the claim, reading its config from the ConfigMap and its password from the Secret. */
function redisPodSpec(args: {
    readonly image: pulumi.Input<string>;
    readonly resources: ContainerResources;
    readonly redisPassword?: SecretKeyRef;
    readonly claimName: pulumi.Input<string>;
    readonly configMapName: pulumi.Input<string>;
}): k8s.types.input.core.v1.PodSpec {
    return {
        securityContext: podSecurityContext({ uid: REDIS_UID, gid: REDIS_UID, fsGroup: REDIS_UID }),
        containers: [redisContainer(args.image, args.resources, args.redisPassword)],
        volumes: [
            { name: "data", persistentVolumeClaim: { claimName: args.claimName } },
            { name: "config", configMap: { name: args.configMapName } },
        ],
    };
}

/** A Service in front of the one pod, on its `redis` port. */
function serviceSpec(spec: k8s.types.input.core.v1.ServiceSpec): k8s.types.input.core.v1.ServiceSpec {
    return { ...spec, selector: SELECTOR, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis" }] };
}

/** One pod, named after its governing (headless) Service: redis-0.redis-headless. */
function statefulSetSpec(
    serviceName: pulumi.Input<string>,
    template: k8s.types.input.core.v1.PodTemplateSpec,
): k8s.types.input.apps.v1.StatefulSetSpec {
    return { replicas: 1, serviceName, selector: { matchLabels: SELECTOR }, template };
}

/**
 * The Secret that holds the password, given or generated, and the reference Redis and its clients read it
 * by; none without a password.
 */
function redisPasswordSecret(
    parent: Redis,
    name: string,
    args: RedisArgs,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
): SecretKeyRef | undefined {
    const password =
        args.redisPassword ??
        (args.generatePassword ? new GeneratedPassword(`${name}-password`, {}, { parent }).value : undefined);
    if (password === undefined) return undefined;
    const secret = new k8s.core.v1.Secret(
        `${name}-password`,
        { metadata, type: "Opaque", stringData: { [PASSWORD_KEY]: password } },
        { parent },
    );
    return { name: secret.metadata.name, key: PASSWORD_KEY };
}

/** The volume this component owns (hostPath or gceDisk), if any; protected with the claim. */
function ownedVolume(
    parent: Redis,
    name: string,
    args: RedisArgs,
    storage: Storage,
    labels: Record<string, string>,
): k8s.core.v1.PersistentVolume | undefined {
    const source = volumeSource(args);
    if (source === undefined) return undefined;
    return new k8s.core.v1.PersistentVolume(
        `${name}-volume`,
        {
            metadata: { name: pulumi.interpolate`${args.namespace}-${VOLUME_SUFFIX}`, labels },
            spec: ownedVolumeSpec(source, storage, args.namespace),
        },
        { parent, protect: storage.protect },
    );
}

/** Redis as a single-replica StatefulSet on the `redis-data` claim, with append-only persistence. */
export class Redis extends pulumi.ComponentResource {
    public readonly service: k8s.core.v1.Service;
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    public readonly claim: k8s.core.v1.PersistentVolumeClaim;
    /** The volume the claim is bound to, when this component owns it (hostPath or gceDisk). */
    public readonly volume?: k8s.core.v1.PersistentVolume;
    /** host:port of the `redis` Service, the tutorial's REDIS_URL. */
    public readonly address: pulumi.Output<string>;
    /** The Secret key that holds the password, when Redis has one: how its clients read it. */
    public readonly redisPassword?: SecretKeyRef;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:Redis", name, {}, opts);
        const childOpts = { parent: this };
        const labels = tierLabels("redis", args.instance);
        const podLabels = workloadLabels("redis", args.image, args.instance);
        const metadata = (objectName?: string) => ({ name: objectName, namespace: args.namespace, labels });
        const storage: Storage = {
            size: args.storageSize ?? REDIS_DEFAULTS.storageSize,
            accessMode: args.accessMode ?? REDIS_DEFAULTS.accessMode,
            protect: args.protect ?? REDIS_DEFAULTS.protect,
        };

        // Auto-named, so a change of content is a new ConfigMap and rolls the pod.
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: metadata(),
                data: { [CONFIG_FILE]: renderRedisConfig({ port: REDIS_PORT, dataDir: REDIS_DATA_DIR }) },
            },
            childOpts,
        );
        this.redisPassword = redisPasswordSecret(this, name, args, metadata());
        this.volume = ownedVolume(this, name, args, storage, labels);
        this.claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            { metadata: metadata(REDIS_NAMES.claim), spec: claimSpec(storage, args.storageClass, this.volume) },
            { ...childOpts, protect: storage.protect },
        );

        // Both reach the one pod on its `redis` port: the headless one names it for the StatefulSet
        // (redis-0.redis-headless), the other gives clients a stable virtual IP.
        const service = (suffix: string, serviceName: string, spec: k8s.types.input.core.v1.ServiceSpec) =>
            new k8s.core.v1.Service(
                `${name}-${suffix}`,
                {
                    metadata: { ...metadata(serviceName), annotations: serviceAnnotations("ClusterIP") },
                    spec: serviceSpec(spec),
                },
                childOpts,
            );
        const governingService = service("headless", REDIS_NAMES.governingService, { clusterIP: "None" });
        this.service = service("service", REDIS_NAMES.service, { type: "ClusterIP" });

        const podSpec = redisPodSpec({
            image: args.image.ref,
            resources: args.resources ?? DEFAULT_REDIS_RESOURCES,
            redisPassword: this.redisPassword,
            claimName: this.claim.metadata.name,
            configMapName: config.metadata.name,
        });
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: { ...metadata(REDIS_NAMES.statefulSet), labels: podLabels },
                spec: statefulSetSpec(governingService.metadata.name, podTemplate(podLabels, podSpec, args.placement)),
            },
            { ...childOpts, ...rolloutTimeouts(args.rolloutTimeoutSeconds) },
        );

        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: metadata(REDIS_NAMES.networkPolicy),
                spec: ingressOnlyFrom(SELECTOR, args.allowFrom, REDIS_PORT),
            },
            childOpts,
        );

        // From the fixed name, not the Service's output: depending on the Service would hold the API back
        // until Redis has endpoints, and the API waits for Redis itself (readiness) anyway.
        this.address = pulumi.output(`${REDIS_NAMES.service}:${REDIS_PORT}`);
        this.registerOutputs({
            service: this.service,
            statefulSet: this.statefulSet,
            claim: this.claim,
            address: this.address,
        });
    }
}
