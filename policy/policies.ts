// The policies of the pack: each wires one rule of rules/ to the resources it applies to and to its
// policy config. index.ts only hands this list to the PolicyPack.
import { Policies, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { nonRootViolations, pinnedImageViolations, probesAndResourcesViolations } from "./rules/containers";
import {
    CLUSTER_TYPE,
    ClusterProps,
    gkeClusterViolations,
    gkeHardeningViolations,
    gkeNodeViolations,
} from "./rules/gke";
import { TYPES, WorkloadProps } from "./rules/kubernetes";
import { redisPersistenceViolations } from "./rules/redis";
import { registryImageViolations } from "./rules/registry";
import { serviceExposureViolations, ServiceProps } from "./rules/services";
import { sharedClusterViolations } from "./rules/shared-cluster";
import { stackOfUrn } from "./rules/stacks";

/** Stacks meant to be destroyed after use: developers' clusters, review stacks, test stacks. */
export const DEFAULT_DESTROYABLE_STACKS: readonly string[] = ["dev", "local", "pr-*", "e2e-*"];
/**
 * Stacks that must keep their cluster: none by default, so that a stack is protected by its own choice
 * (protect both or neither); a policy config listing `gke` makes protection mandatory there.
 */
export const DEFAULT_LONG_LIVED_STACKS: readonly string[] = [];
/** Private nodes need a limited control-plane IP endpoint, or none, unless a stack's policy config says why not. */
const DEFAULT_OPEN_ENDPOINT_STACKS: readonly string[] = [];
/** The frontend's Service, the only way in. */
export const DEFAULT_EXPOSABLE_SERVICES: readonly string[] = ["nginx"];
/** No workload may run as root unless a stack's policy config lists it. */
export const DEFAULT_ALLOW_ROOT_WORKLOADS: readonly string[] = [];

const stringList = (description: string, pattern: string, defaults: readonly string[]) => ({
    type: "array" as const,
    items: { type: "string" as const, pattern },
    default: [...defaults],
    description,
});

const report = (reportViolation: ReportViolation, messages: readonly string[]) =>
    messages.forEach((message) => reportViolation(message));

export const probesAndResources: ResourceValidationPolicy = {
    name: "containers-have-probes-and-resources",
    description: "Every container has readiness and liveness probes, cpu and memory requests and a memory limit.",
    validateResource: (args, reportViolation) =>
        report(reportViolation, probesAndResourcesViolations(args.type, args.props as WorkloadProps)),
};

export const pinnedImages: ResourceValidationPolicy = {
    name: "images-are-pinned",
    description:
        'Every container image, init containers included, has a version tag other than "latest" or a sha256 digest.',
    validateResource: (args, reportViolation) =>
        report(reportViolation, pinnedImageViolations(args.type, args.props as WorkloadProps)),
};

export const nonRoot: ResourceValidationPolicy = {
    name: "containers-run-as-non-root",
    description:
        "Every container, init containers included, sets allowPrivilegeEscalation: false and runs as a non-root user, " +
        "except the workloads listed in allowRootWorkloads, which may run as root.",
    configSchema: {
        properties: {
            allowRootWorkloads: stringList(
                "Workloads (Kind/name, e.g. Deployment/frontend) allowed to run as root.",
                "^[A-Za-z]+/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
                DEFAULT_ALLOW_ROOT_WORKLOADS,
            ),
        },
    },
    validateResource: (args, reportViolation) => {
        const config = args.getConfig<{ allowRootWorkloads?: string[] }>();
        const allowRoot = config.allowRootWorkloads ?? DEFAULT_ALLOW_ROOT_WORKLOADS;
        report(reportViolation, nonRootViolations(args.type, args.props as WorkloadProps, allowRoot));
    },
};

export const internalServices: ResourceValidationPolicy = {
    name: "only-frontend-is-exposed",
    description:
        "Only the Services listed in exposableServices may be LoadBalancer or NodePort; a Service selecting " +
        "service=redis never may.",
    configSchema: {
        properties: {
            exposableServices: stringList(
                "Services that may be reached from outside the cluster.",
                "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                DEFAULT_EXPOSABLE_SERVICES,
            ),
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.service) return;
        const config = args.getConfig<{ exposableServices?: string[] }>();
        const exposable = config.exposableServices ?? DEFAULT_EXPOSABLE_SERVICES;
        report(reportViolation, serviceExposureViolations(args.props as ServiceProps, exposable));
    },
};

export const redisPersistence: StackValidationPolicy = {
    name: "redis-is-persistent",
    description: "Redis runs as a StatefulSet with its data directory on a PersistentVolumeClaim and appendonly yes.",
    validateStack: (args, reportViolation) => report(reportViolation, redisPersistenceViolations(args.resources)),
};

export const gkeCluster: ResourceValidationPolicy = {
    name: "gke-cluster-hygiene",
    description:
        "A GKE cluster's deletionProtection and Pulumi protect agree: both off on destroyableStacks, both on on " +
        "longLivedStacks, equal elsewhere; Workload Identity on, no legacy ABAC and no basic auth; private nodes " +
        "behind no IP endpoint or one limited by master authorized networks, unless the stack is in " +
        "openEndpointStacks; Autopilot nodes run as a dedicated account.",
    configSchema: {
        properties: {
            destroyableStacks: stringList(
                "Stack-name patterns (* matches any characters) of the stacks meant to be destroyed.",
                "^[A-Za-z0-9_.*-]+$",
                DEFAULT_DESTROYABLE_STACKS,
            ),
            longLivedStacks: stringList(
                "Stack-name patterns (* matches any characters) of the stacks whose cluster must be protected.",
                "^[A-Za-z0-9_.*-]+$",
                DEFAULT_LONG_LIVED_STACKS,
            ),
            openEndpointStacks: stringList(
                "Stack-name patterns (* matches any characters) whose private nodes may have a control-plane " +
                    "IP endpoint open to every address.",
                "^[A-Za-z0-9_.*-]+$",
                DEFAULT_OPEN_ENDPOINT_STACKS,
            ),
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== CLUSTER_TYPE) return;
        const config = args.getConfig<{
            destroyableStacks?: string[];
            longLivedStacks?: string[];
            openEndpointStacks?: string[];
        }>();
        const roles = {
            destroyable: config.destroyableStacks ?? DEFAULT_DESTROYABLE_STACKS,
            longLived: config.longLivedStacks ?? DEFAULT_LONG_LIVED_STACKS,
            openEndpoint: config.openEndpointStacks ?? DEFAULT_OPEN_ENDPOINT_STACKS,
        };
        // opts is absent only where a test hands the policy a bare resource.
        const protect = (args.opts as { protect?: boolean } | undefined)?.protect;
        report(reportViolation, gkeClusterViolations(args.props as ClusterProps, protect, stackOfUrn(args.urn), roles));
    },
};

export const gkeHardening: ResourceValidationPolicy = {
    name: "gke-cluster-is-hardened",
    description:
        "A GKE cluster encrypts Secrets at the application layer with a Cloud KMS key, runs even the default node " +
        "pool a Standard cluster starts with as a dedicated account, has a maintenance window, and carries the " +
        "labels part-of and stack; so does every node pool's nodeConfig.resourceLabels.",
    validateResource: (args, reportViolation) => report(reportViolation, gkeHardeningViolations(args.type, args.props)),
};

const gkeNodes: StackValidationPolicy = {
    name: "gke-nodes-are-least-privilege",
    description:
        "Every GKE node pool runs as a dedicated service account with the GKE metadata server; an Autopilot " +
        "cluster has no node pool.",
    validateStack: (args, reportViolation) => report(reportViolation, gkeNodeViolations(args.resources)),
};

export const sharedClusterGuest: StackValidationPolicy = {
    name: "shared-cluster-guest-stays-in-its-namespace",
    description:
        "A stack that deploys into another stack's cluster (target stack, a StackReference) creates no GCP " +
        "resource, no cluster-level Kubernetes object and one Namespace, and protects nothing: destroy removes " +
        "all of it, and the cluster stays the other stack's.",
    validateStack: (args, reportViolation) => report(reportViolation, sharedClusterViolations(args.resources)),
};

export const registryImages: StackValidationPolicy = {
    name: "gke-images-come-from-the-stacks-registry",
    description:
        "On a stack with a GKE cluster every container image is pinned by digest in the stack's own Artifact " +
        "Registry repository; on a stack deployed into another stack's cluster, in an Artifact Registry repository.",
    validateStack: (args, reportViolation) => report(reportViolation, registryImageViolations(args.resources)),
};

export const POLICIES: Policies = [
    probesAndResources,
    pinnedImages,
    nonRoot,
    internalServices,
    redisPersistence,
    gkeCluster,
    gkeHardening,
    gkeNodes,
    sharedClusterGuest,
    registryImages,
];
