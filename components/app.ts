import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Backend, BackendArgs } from "./backend";
import { Frontend, FrontendArgs } from "./frontend";
import { Redis, RedisArgs } from "./redis";
import { appLabels, selectorLabels } from "./workload";

/** Default of ThreeTierAppArgs.namespace: the tutorial's. */
export const DEFAULT_NAMESPACE = "three-tier";

/** What every tier gets from the app rather than from its settings. */
type FromApp = "namespace" | "instance";

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
    readonly frontend?: Omit<FrontendArgs, FromApp | "upstream">;
    /** The API's settings; Redis' address and password come from the Redis tier. Default: BackendArgs' defaults. */
    readonly backend?: Omit<BackendArgs, FromApp | "redisAddress" | "redisPassword" | "allowFrom">;
    /** Redis' settings, its password among them. Default: RedisArgs' defaults. */
    readonly redis?: Omit<RedisArgs, FromApp | "allowFrom">;
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
        const tierArgs = { namespace: this.namespace, instance: args.instance };

        // Anything not allowed by a tier's own policy is refused.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            {
                metadata: { name: "default-deny-ingress", namespace: this.namespace, labels: appLabels(args.instance) },
                spec: { podSelector: {}, policyTypes: ["Ingress"] },
            },
            childOpts,
        );

        this.redis = new Redis(
            `${name}-redis`,
            { ...tierArgs, ...args.redis, allowFrom: selectorLabels("backend") },
            childOpts,
        );
        this.backend = new Backend(
            `${name}-backend`,
            {
                ...tierArgs,
                ...args.backend,
                redisAddress: this.redis.address,
                redisPassword: this.redis.passwordSecret,
                allowFrom: selectorLabels("frontend"),
            },
            childOpts,
        );
        this.frontend = new Frontend(
            `${name}-frontend`,
            { ...tierArgs, ...frontend, upstream: this.backend.address },
            childOpts,
        );

        this.registerOutputs({
            namespace: this.namespace,
            frontendUrl: this.frontend.url,
            frontendHint: this.frontend.hint,
        });
    }
}
