// Pure building blocks shared by the three tiers' pod specs: labels, probes, security contexts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../project";

type Probe = k8s.types.input.core.v1.Probe;
type ContainerSecurityContext = k8s.types.input.core.v1.SecurityContext;
type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;

/** The tutorial's `app` label, shared by every object of the app. */
const APP_LABEL = "web";

export const SERVICE_TYPES = ["NodePort", "LoadBalancer", "ClusterIP"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** The app's tiers: nginx, the Go API, Redis. */
export type Tier = "frontend" | "backend" | "redis";

/**
 * What each tier is called: the tutorial's `service` label (also its Service's name, so the API is
 * `service: app`), and `app.kubernetes.io/name` and `app.kubernetes.io/component`.
 */
const TIER_IDENTITY: Record<Tier, { service: string; name: string; component: string }> = {
    frontend: { service: "nginx", name: "nginx", component: "frontend" },
    backend: { service: "app", name: "backend", component: "backend" },
    redis: { service: "redis", name: "redis", component: "database" },
};

/**
 * The labels selectors use: exactly the tutorial's pair. Selectors are immutable on Deployments and
 * StatefulSets, so nothing that can change (versions, images) ever goes in here.
 */
export function selectorLabels(tier: Tier): Record<string, string> {
    return { app: APP_LABEL, service: TIER_IDENTITY[tier].service };
}

/**
 * The recommended labels every object of one installation carries. `instance` (the stack name) tells two
 * installations of the app apart, e.g. stacks sharing a cluster; it stays out of selectors, so renaming a
 * stack relabels the workloads' pods instead of replacing the workloads.
 */
export function appLabels(instance: string): Record<string, string> {
    return {
        "app.kubernetes.io/part-of": PROJECT,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Selector labels plus the Kubernetes recommended labels, for every object of a tier. */
export function tierLabels(tier: Tier, instance: string): Record<string, string> {
    return {
        ...selectorLabels(tier),
        "app.kubernetes.io/name": TIER_IDENTITY[tier].name,
        "app.kubernetes.io/component": TIER_IDENTITY[tier].component,
        ...appLabels(instance),
    };
}

/** A container image as a workload uses it. */
export interface ContainerImage {
    /** What the pods pull: `repository@sha256:<digest>` for an image this program built, or a reference as given. */
    readonly ref: pulumi.Input<string>;
    /** `app.kubernetes.io/version` of the workload, when the image has a version. */
    readonly version?: pulumi.Input<string>;
}

/** An image named by a reference (a stack's override): its version is the reference's tag, if it has one. */
export function referencedImage(ref: string): ContainerImage {
    const version = imageVersion(ref);
    return version === undefined ? { ref } : { ref, version };
}

/**
 * Labels of a workload and its pods: the tier's, plus `app.kubernetes.io/version` from the image.
 * Only workloads carry the version, so an image change updates the workload and nothing else.
 */
export function workloadLabels(
    tier: Tier,
    image: ContainerImage,
    instance: string,
): Record<string, pulumi.Input<string>> {
    return {
        ...tierLabels(tier, instance),
        ...(image.version === undefined ? {} : { "app.kubernetes.io/version": image.version }),
    };
}

/** The tag of an image reference, when it is a valid label value; digests and tagless images give none. */
export function imageVersion(image: string): string | undefined {
    const withoutDigest = image.split("@")[0];
    const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
    const colon = lastSegment.indexOf(":");
    if (colon < 0) return undefined;
    const tag = lastSegment.slice(colon + 1);
    return /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
}

/** How a probe checks its container. */
export type ProbeCheck =
    | { readonly http: string; readonly port: number | string }
    | { readonly tcpPort: number | string }
    | { readonly exec: readonly string[] };

function probeHandler(check: ProbeCheck): Probe {
    if ("http" in check) return { httpGet: { path: check.http, port: check.port } };
    if ("tcpPort" in check) return { tcpSocket: { port: check.tcpPort } };
    return { exec: { command: [...check.exec] } };
}

/**
 * How long `pulumi up` waits for a workload's rollout (every pod Ready) before it fails the update:
 * the Kubernetes provider's own 10 minutes by default, shorter where a stack wants a crash-looping pod to
 * fail fast, longer where new nodes must come up first.
 */
export const ROLLOUT_TIMEOUT_SECONDS = 600;
export const ROLLOUT_TIMEOUT_RANGE = { min: 30, max: 3600 } as const;

/** The resource options that make the provider give up on a rollout after `seconds`. */
export function rolloutTimeouts(seconds: number = ROLLOUT_TIMEOUT_SECONDS): pulumi.CustomResourceOptions {
    const { min, max } = ROLLOUT_TIMEOUT_RANGE;
    if (!Number.isSafeInteger(seconds) || seconds < min || seconds > max) {
        throw new Error(`rolloutTimeoutSeconds must be a whole number from ${min} to ${max} (got ${seconds})`);
    }
    return { customTimeouts: { create: `${seconds}s`, update: `${seconds}s` } };
}

/** How long a container has to start answering its liveness check before the kubelet restarts it. */
const STARTUP_SECONDS = 60;

/**
 * Startup: is the process up yet? Checked every second with the liveness check, so the kubelet, which
 * runs readiness as soon as startup has passed, marks a pod Ready within about a second of it serving
 * instead of on the next readiness period; liveness waits until then. Readiness: can the container serve
 * (its dependencies included, where that is its contract)? Checked every 2 s, so a pod waiting on one
 * behind it (the API on Redis) turns Ready soon after that does, and a struggling pod leaves the Service
 * within 6 s. Liveness: is the process alive? A cheaper check of the container alone, slower and far more
 * tolerant (a minute of failures), so an overloaded pod is taken out of the Service, not restarted into
 * more overload.
 */
export function probes(
    readiness: ProbeCheck,
    liveness: ProbeCheck,
): { startupProbe: Probe; readinessProbe: Probe; livenessProbe: Probe } {
    return {
        startupProbe: startupProbe(liveness, STARTUP_SECONDS),
        readinessProbe: { ...probeHandler(readiness), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
        livenessProbe: { ...probeHandler(liveness), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
    };
}

/**
 * A startup probe that gives a container `budgetSeconds` to pass `check` once, trying every second;
 * liveness and readiness start only after it has passed, so a slow start is not taken for a dead container.
 */
export function startupProbe(check: ProbeCheck, budgetSeconds: number): Probe {
    const periodSeconds = 1;
    return {
        ...probeHandler(check),
        periodSeconds,
        timeoutSeconds: 1,
        failureThreshold: Math.ceil(budgetSeconds / periodSeconds),
    };
}

/** The container hardening every tier gets; `addCapabilities` only for the tutorial's root nginx. */
export function containerSecurityContext(opts: {
    readonly readOnlyRootFilesystem: boolean;
    readonly addCapabilities?: readonly string[];
}): ContainerSecurityContext {
    return {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: opts.readOnlyRootFilesystem,
        capabilities: { drop: ["ALL"], ...(opts.addCapabilities ? { add: [...opts.addCapabilities] } : {}) },
    };
}

/** Who a pod runs as. */
export type RunAs =
    /** A non-root uid/gid set explicitly: `runAsNonRoot` alone is refused for images whose user is root. */
    | { readonly uid: number; readonly gid: number; readonly fsGroup?: number }
    /** Root, for an image that can only start as root (the tutorial's nginx binds :80 and drops to a worker user). */
    | "root";

export function podSecurityContext(runAs: RunAs): PodSecurityContext {
    const seccompProfile = { type: "RuntimeDefault" };
    if (runAs === "root") return { runAsNonRoot: false, seccompProfile };
    return {
        runAsNonRoot: true,
        runAsUser: runAs.uid,
        runAsGroup: runAs.gid,
        ...(runAs.fsGroup === undefined ? {} : { fsGroup: runAs.fsGroup, fsGroupChangePolicy: "OnRootMismatch" }),
        seccompProfile,
    };
}

/**
 * A pod template. No pod gets a service-account token: the app talks to no Kubernetes API, and a
 * mounted token is a credential an intruder could use.
 */
export function podTemplate(
    labels: Record<string, pulumi.Input<string>>,
    spec: k8s.types.input.core.v1.PodSpec,
    placement?: pulumi.Input<PodPlacement | undefined>,
): k8s.types.input.core.v1.PodTemplateSpec {
    return {
        metadata: { labels },
        spec: {
            ...spec,
            automountServiceAccountToken: false,
            ...(placement === undefined ? {} : placementFields(placement)),
        },
    };
}

/** The pod spec fields of a placement that may still be unknown (a review stack's, from a StackReference). */
function placementFields(
    placement: pulumi.Input<PodPlacement | undefined>,
): Pick<k8s.types.input.core.v1.PodSpec, "nodeSelector" | "tolerations"> {
    const where = pulumi.output(placement);
    return {
        nodeSelector: where.apply((p) => p?.nodeSelector) as pulumi.Output<Record<string, string>>,
        tolerations: where.apply((p) => p?.tolerations) as pulumi.Output<Toleration[]>,
    };
}

/** A node taint a pod may tolerate, in Kubernetes' terms. */
export interface Toleration {
    readonly key: string;
    readonly operator: "Equal";
    readonly value: string;
    readonly effect: "NoSchedule";
}

/** Where a tier's pods run: the nodes they select, and the taints of those nodes they tolerate. */
export interface PodPlacement {
    readonly nodeSelector: Record<string, string>;
    readonly tolerations: readonly Toleration[];
}

/**
 * How a pod stops. The container keeps serving for `drainSeconds` (a preStop sleep) while the removal
 * of its endpoint reaches every node, then gets its stop signal and has `stopSeconds` to finish what is
 * in flight. The kubelet counts the preStop hook in the grace period, so the period covers both.
 */
export function gracefulStop(
    drainSeconds: number,
    stopSeconds: number,
): { lifecycle: k8s.types.input.core.v1.Lifecycle; terminationGracePeriodSeconds: number } {
    return {
        lifecycle: { preStop: { sleep: { seconds: drainSeconds } } },
        terminationGracePeriodSeconds: drainSeconds + stopSeconds,
    };
}

/** One key of a Secret. */
export interface SecretKeyRef {
    readonly name: pulumi.Input<string>;
    readonly key: string;
}

/** An environment variable read from a Secret, so the value never appears in the pod spec. */
export function envFromSecret(name: string, ref: SecretKeyRef): k8s.types.input.core.v1.EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** Surge one new pod before taking an old one away: never fewer ready pods than replicas during a rollout. */
export const ROLLING_UPDATE = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };

/**
 * Requests the scheduler reserves and the ceilings past which the container is killed (memory) or its pod
 * evicted (ephemeral storage: its writable layer, its logs and its emptyDirs), so one container cannot
 * fill the node's disk.
 */
export interface ContainerResources {
    readonly cpuRequest: string;
    readonly memoryRequest: string;
    readonly memoryLimit: string;
    readonly ephemeralStorageRequest: string;
    readonly ephemeralStorageLimit: string;
}

/**
 * What a container of ours may keep on the node's disk: the kubelet keeps up to 5 log files of 10 MiB per
 * container (its defaults), and the app writes nothing else outside its volumes but nginx's small temp
 * files (an emptyDir with its own limit).
 */
export const EPHEMERAL_STORAGE = { ephemeralStorageRequest: "64Mi", ephemeralStorageLimit: "128Mi" } as const;

export function resourceRequirements(r: ContainerResources): k8s.types.input.core.v1.ResourceRequirements {
    // No CPU limit on purpose: CFS throttling hurts latency more than a noisy neighbour does here.
    return {
        requests: { cpu: r.cpuRequest, memory: r.memoryRequest, "ephemeral-storage": r.ephemeralStorageRequest },
        limits: { memory: r.memoryLimit, "ephemeral-storage": r.ephemeralStorageLimit },
    };
}

/**
 * Spread a tier's pods over nodes and zones, so losing one takes at most part of the tier. ScheduleAnyway:
 * a preference, so a one-node cluster (minikube, the local node) still runs every replica.
 * pod-template-hash counts each ReplicaSet's pods apart, so a rolling update does not skew the spread.
 */
export function spreadOverNodesAndZones(
    selector: Record<string, string>,
): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    return ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
    }));
}

/** Voluntary disruptions (node drains, upgrades) take at most one pod of the tier at a time. */
export function disruptionBudget(selector: Record<string, string>): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
    return { maxUnavailable: 1, selector: { matchLabels: selector } };
}

/**
 * Annotations of a Service. pulumi-kubernetes holds every Service for 10 s after its last endpoint
 * change before calling it ready; the Deployment and StatefulSet awaits already prove the pods Ready,
 * so only a LoadBalancer, whose address is an output, is awaited.
 */
export function serviceAnnotations(type: ServiceType): Record<string, string> {
    return type === "LoadBalancer" ? {} : { "pulumi.com/skipAwait": "true" };
}

/** A NetworkPolicy spec letting only pods matching `from` reach the selected pods, on one port. */
/** Namespace-wide: a pod opens only the connections an egress policy allows (with dnsEgress, DNS). */
export function denyAllEgress(): k8s.types.input.networking.v1.NetworkPolicySpec {
    return { podSelector: {}, policyTypes: ["Egress"] };
}

/** Port of the cluster DNS. */
const DNS_PORT = 53;

/**
 * Every pod may ask the cluster DNS, to any address on port 53. A named decision: by port, not by
 * kube-dns' pods, because the resolver a pod reaches is not always a pod (the local cluster's CoreDNS
 * answers on the node's address, GKE's NodeLocal DNSCache on a link-local one), and a peer selector would
 * cut such pods off from every name.
 */
export function dnsEgress(): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
            {
                ports: [
                    { protocol: "UDP", port: DNS_PORT },
                    { protocol: "TCP", port: DNS_PORT },
                ],
            },
        ],
    };
}

/** The pods of `podSelector` may open connections to the pods of `to` on `port`, and nowhere else. */
export function egressOnlyTo(
    podSelector: Record<string, string>,
    to: Record<string, string>,
    port: number,
): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: podSelector },
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: { matchLabels: to } }], ports: [{ protocol: "TCP", port }] }],
    };
}

export function ingressOnlyFrom(
    podSelector: Record<string, string>,
    from: Record<string, string> | "anywhere",
    port: number,
): k8s.types.input.networking.v1.NetworkPolicySpec {
    const ports = [{ protocol: "TCP", port }];
    return {
        podSelector: { matchLabels: podSelector },
        policyTypes: ["Ingress"],
        ingress: [from === "anywhere" ? { ports } : { from: [{ podSelector: { matchLabels: from } }], ports }],
    };
}
