import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    disruptionBudget,
    ingressOnlyFrom,
    podTemplate,
    ROLLING_UPDATE,
    selectorLabels,
    serviceAnnotations,
    spreadOverNodesAndZones,
    ContainerImage,
    ServiceType,
    Tier,
    tierLabels,
    workloadLabels,
    PodPlacement,
    rolloutTimeouts,
} from "./workload";

/** The replicas a stateless tier runs: well above what this app needs, low enough to catch a typo like 200. */
export const REPLICAS_RANGE = { min: 1, max: 20 } as const;

/** Kubernetes names of a stateless tier's objects. */
export interface StatelessTierNames {
    readonly deployment: string;
    readonly service: string;
    readonly disruptionBudget: string;
    readonly networkPolicy: string;
}

export interface StatelessTierArgs {
    readonly namespace: pulumi.Input<string>;
    /** Value of `app.kubernetes.io/instance` on every child: which installation (stack) it belongs to. */
    readonly instance: string;
    readonly tier: Tier;
    readonly names: StatelessTierNames;
    readonly image: ContainerImage;
    /** Pods: a whole number within REPLICAS_RANGE. */
    readonly replicas: number;
    /** The pod spec; its container port named `http` is what the Service targets. */
    readonly podSpec: k8s.types.input.core.v1.PodSpec;
    readonly serviceType: ServiceType;
    readonly servicePort: number;
    /** Port the pods listen on, opened by the tier's NetworkPolicy. */
    readonly containerPort: number;
    /** Pods allowed in, or "anywhere" for the tier that faces the internet. */
    readonly allowFrom: Record<string, string> | "anywhere";
    /** Where the pods run. Default: any node. */
    readonly placement?: pulumi.Input<PodPlacement | undefined>;
    /** How long `up` waits for the Deployment's rollout. Default: ROLLOUT_TIMEOUT_SECONDS. */
    readonly rolloutTimeoutSeconds?: number;
}

/**
 * What nginx and the API have in common: a Deployment rolled out one surge pod at a time, a Service on
 * its `http` port, a PodDisruptionBudget and the NetworkPolicy that admits its clients. Registered as
 * children of `parent`, the tier's component, whose Kubernetes provider they inherit.
 */
export function statelessTier(
    parent: pulumi.ComponentResource,
    name: string,
    args: StatelessTierArgs,
): { deployment: k8s.apps.v1.Deployment; service: k8s.core.v1.Service } {
    const { min, max } = REPLICAS_RANGE;
    if (!Number.isSafeInteger(args.replicas) || args.replicas < min || args.replicas > max) {
        throw new Error(`${name}: replicas must be a whole number from ${min} to ${max} (got ${args.replicas})`);
    }
    const childOpts = { parent };
    const labels = tierLabels(args.tier, args.instance);
    const podLabels = workloadLabels(args.tier, args.image, args.instance);
    const selector = selectorLabels(args.tier);
    const metadata = (objectName: string) => ({ name: objectName, namespace: args.namespace, labels });
    const serviceMetadata = { ...metadata(args.names.service), annotations: serviceAnnotations(args.serviceType) };

    const deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
            metadata: { ...metadata(args.names.deployment), labels: podLabels },
            spec: {
                replicas: args.replicas,
                strategy: ROLLING_UPDATE,
                selector: { matchLabels: selector },
                template: podTemplate(
                    podLabels,
                    { ...args.podSpec, topologySpreadConstraints: spreadOverNodesAndZones(selector) },
                    args.placement,
                ),
            },
        },
        { ...childOpts, ...rolloutTimeouts(args.rolloutTimeoutSeconds) },
    );
    const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: serviceMetadata,
            spec: {
                type: args.serviceType,
                selector,
                ports: [{ name: "http", port: args.servicePort, targetPort: "http" }],
            },
        },
        childOpts,
    );
    new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        { metadata: metadata(args.names.disruptionBudget), spec: disruptionBudget(selector) },
        childOpts,
    );
    new k8s.networking.v1.NetworkPolicy(
        `${name}-ingress`,
        {
            metadata: metadata(args.names.networkPolicy),
            spec: ingressOnlyFrom(selector, args.allowFrom, args.containerPort),
        },
        childOpts,
    );
    return { deployment, service };
}
