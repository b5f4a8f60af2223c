import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Backend, BackendArgs, BACKEND_PORT } from "./backend";
import { Frontend, FrontendArgs } from "./frontend";
import { AppImages, AppImagesArgs, BuiltImageName } from "./images";
import { Redis, RedisArgs, REDIS_PORT } from "./redis";
import { NamespaceAccess, REVIEW_ROLE_BINDING } from "./review-access";
import { appLabels, ContainerImage, denyAllEgress, dnsEgress, egressOnlyTo, selectorLabels } from "./workload";

/** Default of ThreeTierAppArgs.namespace: the tutorial's. */
export const DEFAULT_NAMESPACE = "three-tier";

/** What every tier gets from the app rather than from its settings; its image is the app's to build unless given. */
type FromApp = "namespace" | "instance" | "image" | "placement" | "rolloutTimeoutSeconds";
/** A tier's settings, with the image it runs when the app should not build it. */
type TierSettings<T> = Omit<T, FromApp> & { readonly image?: ContainerImage };

/** Which of the images the app builds each tier runs. */
const TIER_IMAGES = { frontend: "nginx", backend: "backend", redis: "redis" } as const satisfies Record<
    string,
    BuiltImageName
>;

/**
 * The app's settings. The Kubernetes provider is not one of them: pass it in the options
 * (`providers: [provider]`), and every object inherits it through parenting.
 */
export interface ThreeTierAppArgs {
    /** Namespace created for the app; deleting it on destroy leaves nothing behind. Default: DEFAULT_NAMESPACE. */
    readonly namespace?: string;
    /** Value of `app.kubernetes.io/instance` on every object: which installation (stack) it belongs to. */
    readonly instance: string;
    /** nginx's settings; its upstream is the API. Default: FrontendArgs' defaults. */
    readonly frontend?: Omit<TierSettings<FrontendArgs>, "upstream">;
    /** The API's settings; Redis' address and password come from the Redis tier. Default: BackendArgs' defaults. */
    readonly backend?: Omit<TierSettings<BackendArgs>, "redisAddress" | "redisPassword" | "allowFrom">;
    /** Redis' settings, its password among them. Default: RedisArgs' defaults. */
    readonly redis?: Omit<TierSettings<RedisArgs>, "allowFrom">;
    /**
     * Where the images the app builds go (AppImages): every tier not given an image runs one built from
     * this repository and pushed there, by digest. Required unless every tier is given an image.
     */
    readonly images?: Omit<AppImagesArgs, "names">;
    /**
     * A review stack's access to its own namespace (the cluster stack's ReviewAccess): bound there first,
     * since its identity may do nothing in the namespace before. Default: none (the identity needs no binding).
     */
    readonly namespaceAccess?: pulumi.Input<NamespaceAccess>;
    /** How long `up` waits for each workload's rollout. Default: ROLLOUT_TIMEOUT_SECONDS (workload.ts). */
    readonly rolloutTimeoutSeconds?: number;
}

/**
 * The tutorial's app in its own namespace: nginx → Go API → Redis, where each tier accepts traffic
 * only from the one in front of it.
 */
export class ThreeTierApp extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly frontend: Frontend;
    public readonly backend: Backend;
    public readonly redis: Redis;

    constructor(name: string, args: ThreeTierAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:ThreeTierApp", name, {}, opts);
        const childOpts = { parent: this };
        const frontend = args.frontend ?? {};

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace ?? DEFAULT_NAMESPACE,
                    labels: {
                        ...appLabels(args.instance),
                        // The tutorial's root nginx needs capabilities that only `baseline` allows.
                        "pod-security.kubernetes.io/enforce":
                            frontend.profile === "tutorial" ? "baseline" : "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                },
            },
            childOpts,
        );
        this.namespace = namespace.metadata.name;
        const access = args.namespaceAccess === undefined ? undefined : pulumi.output(args.namespaceAccess);
        // A review stack's pods run where the cluster's stack puts review pods (namespaceAccess.placement).
        const placement = access?.apply((a) => a.placement);
        const tierArgs = {
            namespace: this.namespace,
            instance: args.instance,
            placement,
            rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
        };
        const images = appImages(`${name}-images`, args, this);
        const inNamespace = {
            ...childOpts,
            dependsOn:
                access === undefined
                    ? []
                    : [namespaceAccessBinding(`${name}-review-access`, access, args.instance, this)],
        };

        // Anything not allowed by a tier's own policy is refused, in and out: a compromised pod reaches
        // neither other namespaces nor the cloud's metadata server, only DNS and the tier behind it.
        const policy = (
            resourceName: string,
            policyName: string,
            spec: k8s.types.input.networking.v1.NetworkPolicySpec,
        ) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${resourceName}`,
                { metadata: { name: policyName, namespace: this.namespace, labels: appLabels(args.instance) }, spec },
                inNamespace,
            );
        policy("default-deny", "default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
        policy("default-deny-egress", "default-deny-egress", denyAllEgress());
        policy("dns-egress", "dns-egress", dnsEgress());
        policy(
            "frontend-egress",
            "nginx-egress",
            egressOnlyTo(selectorLabels("frontend"), selectorLabels("backend"), BACKEND_PORT),
        );
        policy(
            "backend-egress",
            "backend-egress",
            egressOnlyTo(selectorLabels("backend"), selectorLabels("redis"), REDIS_PORT),
        );

        this.redis = new Redis(
            `${name}-redis`,
            { ...tierArgs, ...args.redis, image: images.redis, allowFrom: selectorLabels("backend") },
            inNamespace,
        );
        this.backend = new Backend(
            `${name}-backend`,
            {
                ...tierArgs,
                ...args.backend,
                image: images.backend,
                redisAddress: this.redis.address,
                redisPassword: this.redis.redisPassword,
                allowFrom: selectorLabels("frontend"),
            },
            inNamespace,
        );
        this.frontend = new Frontend(
            `${name}-frontend`,
            { ...tierArgs, ...frontend, image: images.frontend, upstream: this.backend.address },
            inNamespace,
        );

        this.registerOutputs({
            namespace: this.namespace,
            frontendUrl: this.frontend.url,
            frontendHint: this.frontend.hint,
        });
    }
}

/** The RoleBinding of a review stack's identity in its namespace (ThreeTierAppArgs.namespaceAccess). */
function namespaceAccessBinding(
    name: string,
    access: pulumi.Output<NamespaceAccess>,
    instance: string,
    parent: ThreeTierApp,
): k8s.rbac.v1.RoleBinding {
    return new k8s.rbac.v1.RoleBinding(
        name,
        {
            metadata: { name: REVIEW_ROLE_BINDING, namespace: parent.namespace, labels: appLabels(instance) },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: access.clusterRole },
            subjects: [access.subject],
        },
        // Deleting the namespace deletes the binding, last. Deleting it first would take away the rights the
        // rest of the destroy needs (the app's objects, the awaits that read them).
        { parent, retainOnDelete: true },
    );
}

/** Each tier's image: the one its settings name, else one built by an AppImages child of the app. */
function appImages(
    name: string,
    args: ThreeTierAppArgs,
    parent: pulumi.Resource,
): Record<keyof typeof TIER_IMAGES, ContainerImage> {
    const tiers = Object.keys(TIER_IMAGES) as (keyof typeof TIER_IMAGES)[];
    const toBuild = tiers.filter((tier) => args[tier]?.image === undefined);
    let built: AppImages["images"] = {};
    if (toBuild.length > 0) {
        if (args.images === undefined) {
            throw new Error(
                `ThreeTierApp ${name}: images.registry is required to build the images of ${toBuild.join(", ")}`,
            );
        }
        built = new AppImages(name, { ...args.images, names: toBuild.map((t) => TIER_IMAGES[t]) }, { parent }).images;
    }
    const imageOf = (tier: keyof typeof TIER_IMAGES) => args[tier]?.image ?? built[TIER_IMAGES[tier]]!;
    return { frontend: imageOf("frontend"), backend: imageOf("backend"), redis: imageOf("redis") };
}
