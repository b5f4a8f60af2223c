import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "../config";
import { Backend } from "./backend";
import { Frontend } from "./frontend";
import { Redis } from "./redis";
import { appLabels, selectorLabels } from "./workload";

export interface ThreeTierAppArgs {
    /** Kubernetes provider for every object: the boundary between where (GKE, minikube) and what. */
    readonly provider: k8s.Provider;
    /** Namespace created for the app; deleting it on destroy leaves nothing behind. */
    readonly namespace: string;
    /** Value of `app.kubernetes.io/instance` on every child: which installation (stack) it belongs to. */
    readonly instance: string;
    readonly frontend: AppConfig["frontend"];
    readonly backend: AppConfig["backend"];
    readonly redis: AppConfig["redis"];
    /** Password Redis requires. Default: none. */
    readonly redisPassword?: pulumi.Input<string>;
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
        const childOpts = { parent: this, provider: args.provider };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: {
                        ...appLabels(args.instance),
                        // The tutorial's root nginx needs capabilities that only `baseline` allows.
                        "pod-security.kubernetes.io/enforce":
                            args.frontend.profile === "tutorial" ? "baseline" : "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                },
            },
            childOpts,
        );
        this.namespace = namespace.metadata.name;

        // Anything not allowed by a tier's own policy is refused.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            {
                metadata: {
                    name: "default-deny-ingress",
                    namespace: this.namespace,
                    labels: appLabels(args.instance),
                },
                spec: { podSelector: {}, policyTypes: ["Ingress"] },
            },
            childOpts,
        );

        const tierOpts = { parent: this };
        this.redis = new Redis(
            `${name}-redis`,
            {
                provider: args.provider,
                namespace: this.namespace,
                instance: args.instance,
                ...args.redis,
                password: args.redisPassword,
                allowFrom: selectorLabels("app"),
            },
            tierOpts,
        );
        this.backend = new Backend(
            `${name}-backend`,
            {
                provider: args.provider,
                namespace: this.namespace,
                instance: args.instance,
                ...args.backend,
                redisAddress: this.redis.address,
                redisPassword: this.redis.passwordSecret,
                allowFrom: selectorLabels("nginx"),
            },
            tierOpts,
        );
        this.frontend = new Frontend(
            `${name}-frontend`,
            {
                provider: args.provider,
                namespace: this.namespace,
                instance: args.instance,
                ...args.frontend,
                upstream: this.backend.address,
            },
            tierOpts,
        );

        this.registerOutputs({
            namespace: this.namespace,
            frontendUrl: this.frontend.url,
            frontendHint: this.frontend.hint,
        });
    }
}
