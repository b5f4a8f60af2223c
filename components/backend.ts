import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { REDIS_PASSWORD_ENV } from "./redis";
import { statelessTier } from "./stateless-tier";
import {
    ContainerImage,
    ContainerResources,
    containerSecurityContext,
    envFromSecret,
    EPHEMERAL_STORAGE,
    gracefulStop,
    podSecurityContext,
    probes,
    resourceRequirements,
    SecretKeyRef,
    tierLabels,
    PodPlacement,
} from "./workload";

export const BACKEND_PORT = 1323;
/** The tutorial's names: Deployment `backend`, Service `app`. */
const BACKEND_NAMES = {
    deployment: "backend",
    service: "app",
    disruptionBudget: "backend",
    networkPolicy: "backend-ingress",
} as const;
/** A non-root uid: the tutorial's image would otherwise run as root (distroless's `nonroot` user). */
const BACKEND_UID = 65532;
/** Key of the backend ConfigMap that holds the tutorial's REDIS_URL. */
const REDIS_URL_KEY = "REDIS_URL";
const LIVENESS_PATH = "/healthz";
/** Seconds the API keeps serving after it is marked terminating, while Services drop the pod. */
const BACKEND_DRAIN_SECONDS = 5;
/**
 * Seconds the API has after SIGTERM: its own drain (SHUTDOWN_DELAY + SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT,
 * 17 s by default) is at most 25 s beside a 5 s preStop (app/backend/config.go).
 */
const BACKEND_STOP_SECONDS = 25;
const BACKEND_STOP = gracefulStop(BACKEND_DRAIN_SECONDS, BACKEND_STOP_SECONDS);
/** The tutorial's API image, for a stack that overrides the one this program builds from app/backend. */
export const TUTORIAL_BACKEND_IMAGE = "c1524db4f1/kubernetes-tutorial-backend:v0.3.0";
/** Defaults of BackendArgs: app/backend's readiness path (the tutorial's image answers /healthz only). */
export const BACKEND_DEFAULTS = {
    replicas: 2,
    readinessPath: "/readyz",
} as const;
const DEFAULT_BACKEND_RESOURCES: ContainerResources = {
    cpuRequest: "50m",
    memoryRequest: "32Mi",
    memoryLimit: "128Mi",
    ...EPHEMERAL_STORAGE,
};

export interface BackendArgs {
    /** How long `up` waits for the rollout of the Deployment. Default: ROLLOUT_TIMEOUT_SECONDS (workload.ts). */
    readonly rolloutTimeoutSeconds?: number;
    /** Namespace of every child. */
    readonly namespace: pulumi.Input<string>;
    /** Value of `app.kubernetes.io/instance` on every child: which installation (stack) it belongs to. */
    readonly instance: string;
    /** The Go API image: app/backend built by AppImages, or one the stack names. Required. */
    readonly image: ContainerImage;
    /** API pods, within REPLICAS_RANGE (1 to 20). Default: BACKEND_DEFAULTS.replicas (2). */
    readonly replicas?: number;
    /**
     * Path of the readiness probe: /readyz for this repo's API (app/backend), /healthz for the tutorial's image.
     * Default: BACKEND_DEFAULTS.readinessPath (/readyz).
     */
    readonly readinessPath?: string;
    /** host:port of Redis, handed to the API as REDIS_URL through a ConfigMap. */
    readonly redisAddress: pulumi.Input<string>;
    /** The Redis password's Secret. Default: Redis has no password. */
    readonly redisPassword?: SecretKeyRef;
    /** Labels of the pods allowed to call the API (nginx's). */
    readonly allowFrom: Record<string, string>;
    /** Default: DEFAULT_BACKEND_RESOURCES. */
    readonly resources?: ContainerResources;
    /** Where the pods run: nodes they select, taints they tolerate. Default: any node. */
    readonly placement?: pulumi.Input<PodPlacement | undefined>;
}

/** The API container, reading REDIS_URL from the named ConfigMap. */
function backendContainer(args: {
    readonly image: pulumi.Input<string>;
    readonly readinessPath: string;
    readonly configMapName: pulumi.Input<string>;
    readonly redisPassword?: SecretKeyRef;
    readonly resources: ContainerResources;
}): k8s.types.input.core.v1.Container {
    return {
        name: "app",
        image: args.image,
        args: ["/bin/app"],
        ports: [{ name: "http", containerPort: BACKEND_PORT }],
        env: [
            { name: REDIS_URL_KEY, valueFrom: { configMapKeyRef: { name: args.configMapName, key: REDIS_URL_KEY } } },
            ...(args.redisPassword ? [envFromSecret(REDIS_PASSWORD_ENV, args.redisPassword)] : []),
        ],
        ...probes({ http: args.readinessPath, port: "http" }, { http: LIVENESS_PATH, port: "http" }),
        // Give Services time to drop the pod before the API stops accepting connections.
        lifecycle: BACKEND_STOP.lifecycle,
        resources: resourceRequirements(args.resources),
        securityContext: containerSecurityContext({ readOnlyRootFilesystem: true }),
    };
}

/** The Go API: Deployment `backend` behind ClusterIP Service `app` on 1323. */
export class Backend extends pulumi.ComponentResource {
    public readonly service: k8s.core.v1.Service;
    public readonly deployment: k8s.apps.v1.Deployment;
    /** host:port of the `app` Service, nginx's upstream. */
    public readonly address: pulumi.Output<string>;

    constructor(name: string, args: BackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:Backend", name, {}, opts);
        // Auto-named, so a new REDIS_URL is a new ConfigMap and rolls the pods.
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { namespace: args.namespace, labels: tierLabels("backend", args.instance) },
                data: { [REDIS_URL_KEY]: args.redisAddress },
            },
            { parent: this },
        );

        const image = args.image;
        const tier = statelessTier(this, name, {
            placement: args.placement,
            rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
            namespace: args.namespace,
            instance: args.instance,
            tier: "backend",
            names: BACKEND_NAMES,
            image,
            replicas: args.replicas ?? BACKEND_DEFAULTS.replicas,
            podSpec: {
                securityContext: podSecurityContext({ uid: BACKEND_UID, gid: BACKEND_UID }),
                terminationGracePeriodSeconds: BACKEND_STOP.terminationGracePeriodSeconds,
                containers: [
                    backendContainer({
                        image: image.ref,
                        readinessPath: args.readinessPath ?? BACKEND_DEFAULTS.readinessPath,
                        configMapName: config.metadata.name,
                        redisPassword: args.redisPassword,
                        resources: args.resources ?? DEFAULT_BACKEND_RESOURCES,
                    }),
                ],
            },
            serviceType: "ClusterIP",
            servicePort: BACKEND_PORT,
            containerPort: BACKEND_PORT,
            allowFrom: args.allowFrom,
        });
        this.deployment = tier.deployment;
        this.service = tier.service;

        this.address = pulumi.interpolate`${this.service.metadata.name}:${BACKEND_PORT}`;
        this.registerOutputs({ service: this.service, deployment: this.deployment, address: this.address });
    }
}
