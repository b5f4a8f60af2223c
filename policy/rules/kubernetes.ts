// The few Kubernetes shapes the rules read, as they reach a policy (the resources' inputs, camelCase
// like the API), and where each workload kind keeps its pod spec.
import { whenKnown } from "./known";

export interface ObjectMeta {
    readonly name?: string;
    readonly namespace?: string;
}

export interface SecurityContext {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    /** Containers only. */
    readonly allowPrivilegeEscalation?: boolean;
}

export interface VolumeMount {
    readonly name?: string;
    readonly mountPath?: string;
    readonly subPath?: string;
}

export interface Container {
    readonly name?: string;
    readonly image?: string;
    readonly command?: readonly string[];
    readonly args?: readonly string[];
    readonly readinessProbe?: object;
    readonly livenessProbe?: object;
    readonly resources?: {
        readonly requests?: Readonly<Record<string, string | number>>;
        readonly limits?: Readonly<Record<string, string | number>>;
    };
    readonly securityContext?: SecurityContext;
    readonly volumeMounts?: readonly VolumeMount[];
}

export interface Volume {
    readonly name?: string;
    readonly persistentVolumeClaim?: { readonly claimName?: string };
    readonly configMap?: {
        readonly name?: string;
        readonly items?: readonly { readonly key?: string; readonly path?: string }[];
    };
}

export interface PodSpec {
    readonly containers?: readonly Container[];
    readonly initContainers?: readonly Container[];
    readonly securityContext?: SecurityContext;
    readonly volumes?: readonly Volume[];
}

interface PodTemplate {
    readonly spec?: PodSpec;
}

/** Props of any workload kind: the fields each kind uses are optional here. */
export interface WorkloadProps {
    readonly metadata?: ObjectMeta;
    readonly spec?: PodSpec & {
        /** Deployment, StatefulSet, DaemonSet, ReplicaSet, Job. */
        readonly template?: PodTemplate;
        /** CronJob. */
        readonly jobTemplate?: { readonly spec?: { readonly template?: PodTemplate } };
        /** StatefulSet. */
        readonly volumeClaimTemplates?: readonly { readonly metadata?: ObjectMeta }[];
    };
}

export const TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
    service: "kubernetes:core/v1:Service",
    configMap: "kubernetes:core/v1:ConfigMap",
} as const;

/** Where each workload type keeps its pod spec. */
const POD_SPEC_OF: Readonly<Record<string, (props: WorkloadProps) => PodSpec | undefined>> = {
    [TYPES.deployment]: (p) => p.spec?.template?.spec,
    [TYPES.statefulSet]: (p) => p.spec?.template?.spec,
    [TYPES.daemonSet]: (p) => p.spec?.template?.spec,
    [TYPES.replicaSet]: (p) => p.spec?.template?.spec,
    [TYPES.job]: (p) => p.spec?.template?.spec,
    [TYPES.cronJob]: (p) => p.spec?.jobTemplate?.spec?.template?.spec,
    [TYPES.pod]: (p) => p.spec,
};

/** The pod spec of a workload; undefined for any other type (or a workload without one). */
export function podSpecOf(type: string, props: WorkloadProps): PodSpec | undefined {
    return POD_SPEC_OF[type]?.(props);
}

/** `Deployment/frontend`: how policy config names a workload. */
export function workloadId(type: string, name: string | undefined): string {
    return `${type.slice(type.lastIndexOf(":") + 1)}/${name ?? "<unnamed>"}`;
}

/**
 * Runs `check` on each container of a pod, init containers first when `includeInit` is set, with a label
 * for messages: `container "app"` or `init container "migrate"`. An unknown container list skips the pod.
 */
export function eachContainer(
    pod: PodSpec,
    includeInit: boolean,
    check: (container: Container, label: string) => readonly string[],
): string[] {
    const run = (kind: string, containers: () => readonly Container[] | undefined) =>
        whenKnown(() => (containers() ?? []).flatMap((c) => check(c, `${kind} "${c.name ?? "<unnamed>"}"`)));
    return [
        ...(includeInit ? run("init container", () => pod.initContainers) : []),
        ...run("container", () => pod.containers),
    ];
}
