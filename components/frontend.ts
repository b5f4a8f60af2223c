import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NGINX_HEALTH_PATH, renderNginxConfig } from "./nginx-config";
import { statelessTier } from "./stateless-tier";
import {
    ContainerImage,
    ContainerResources,
    containerSecurityContext,
    EPHEMERAL_STORAGE,
    gracefulStop,
    podSecurityContext,
    probes,
    resourceRequirements,
    RunAs,
    ServiceType,
    tierLabels,
    PodPlacement,
} from "./workload";

/**
 * `unprivileged`: a stock non-root nginx on :8080 running the config this program generates.
 * `tutorial`: the tutorial's own frontend image, which bakes its config on :80 and must start as root.
 */
export const FRONTEND_PROFILES = ["unprivileged", "tutorial"] as const;
export type FrontendProfile = (typeof FRONTEND_PROFILES)[number];

/** The tutorial's frontend image, which the `tutorial` profile runs unless the stack names another. */
export const TUTORIAL_FRONTEND_IMAGE = "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0";

/** Defaults of FrontendArgs. */
export const FRONTEND_DEFAULTS = {
    profile: "unprivileged" as FrontendProfile,
    replicas: 2,
    serviceType: "NodePort" as ServiceType,
} as const;

/** The port the Service exposes, as in the tutorial. */
const FRONTEND_SERVICE_PORT = 80;
/** The tutorial's names: Deployment `frontend`, Service `nginx`. */
const FRONTEND_NAMES = {
    deployment: "frontend",
    service: "nginx",
    disruptionBudget: "frontend",
    networkPolicy: "nginx-ingress",
} as const;
/** nginx writes its pid and temp files here; an emptyDir, since the root filesystem is read-only. */
const NGINX_RUNTIME_DIR = "/tmp";
const CONFIG_DIR = "/etc/nginx/managed";
const CONFIG_FILE = "nginx.conf";
const DEFAULT_FRONTEND_RESOURCES: ContainerResources = {
    cpuRequest: "50m",
    memoryRequest: "32Mi",
    memoryLimit: "128Mi",
    ...EPHEMERAL_STORAGE,
};

/** How each frontend profile runs; see FrontendProfile. */
const FRONTEND_PROFILE_SETTINGS: Record<
    FrontendProfile,
    {
        readonly containerPort: number;
        readonly runAs: RunAs;
        /** Whether nginx runs the config this program renders (mounted from a ConfigMap). */
        readonly managedConfig: boolean;
    }
> = {
    // The built image's nginx user, above every host uid (10000+), binds 8080 without any capability.
    unprivileged: { containerPort: 8080, runAs: { uid: 10101, gid: 10101 }, managedConfig: true },
    // The tutorial's image: its master binds :80 and setuids to the `nginx` worker user.
    tutorial: { containerPort: 80, runAs: "root", managedConfig: false },
};
/**
 * Seconds nginx keeps serving after its pod is marked terminating. Its clients come from outside the
 * cluster through any node (a NodePort, or a cloud load balancer that forwards to every node), so the
 * endpoint's removal must reach every node's forwarding rules before nginx stops accepting: twice the
 * API's 5 s, whose only client is nginx inside the cluster.
 */
const FRONTEND_DRAIN_SECONDS = 10;
/**
 * Seconds nginx has after its stop signal: a graceful quit (SIGQUIT, the images' stop signal) waits for
 * in-flight requests, and a proxied one ends within 12 s (proxy_connect_timeout 2 s + proxy_read_timeout
 * 10 s); the rest is margin. With the drain, the grace period is Kubernetes' default 30 s.
 */
const FRONTEND_STOP_SECONDS = 20;
const FRONTEND_STOP = gracefulStop(FRONTEND_DRAIN_SECONDS, FRONTEND_STOP_SECONDS);
/** Exactly what the tutorial's root nginx needs after dropping ALL: bind :80, chown temp dirs, switch user. */
const ROOT_NGINX_CAPABILITIES = ["CHOWN", "SETGID", "SETUID", "NET_BIND_SERVICE"];

export interface FrontendArgs {
    /** How long `up` waits for the rollout of the Deployment. Default: ROLLOUT_TIMEOUT_SECONDS (workload.ts). */
    readonly rolloutTimeoutSeconds?: number;
    /** Namespace of every child. */
    readonly namespace: pulumi.Input<string>;
    /** Value of `app.kubernetes.io/instance` on every child: which installation (stack) it belongs to. */
    readonly instance: string;
    /** How nginx runs. Default: FRONTEND_DEFAULTS.profile (unprivileged). */
    readonly profile?: FrontendProfile;
    /**
     * nginx image: Debian's nginx built by AppImages (profile `unprivileged`: uid 10101 on :8080), or one the
     * stack names (profile `tutorial`: TUTORIAL_FRONTEND_IMAGE). Required.
     */
    readonly image: ContainerImage;
    /** nginx pods, within REPLICAS_RANGE (1 to 20). Default: FRONTEND_DEFAULTS.replicas (2). */
    readonly replicas?: number;
    /** Type of the `nginx` Service. Default: FRONTEND_DEFAULTS.serviceType (NodePort). */
    readonly serviceType?: ServiceType;
    /**
     * Address at which clients reach a node (and so a NodePort), for the `url` output. Default: none, and
     * a NodePort's `url` is empty.
     */
    readonly host?: string;
    /** host:port of the API Service that nginx proxies everything to. */
    readonly upstream: pulumi.Input<string>;
    /** Default: DEFAULT_FRONTEND_RESOURCES. */
    readonly resources?: ContainerResources;
    /** Where the pods run: nodes they select, taints they tolerate. Default: any node. */
    readonly placement?: pulumi.Input<PodPlacement | undefined>;
}

/** The nginx pod spec for a profile; profiles that run the managed config need its ConfigMap's name. */
export function frontendPodSpec(args: {
    readonly profile: FrontendProfile;
    readonly image: pulumi.Input<string>;
    readonly configMapName?: pulumi.Input<string>;
    readonly resources: ContainerResources;
}): k8s.types.input.core.v1.PodSpec {
    const settings = FRONTEND_PROFILE_SETTINGS[args.profile];
    const common = {
        name: "nginx",
        image: args.image,
        ports: [{ name: "http", containerPort: settings.containerPort }],
        resources: resourceRequirements(args.resources),
        lifecycle: FRONTEND_STOP.lifecycle,
    };
    const pod = {
        securityContext: podSecurityContext(settings.runAs),
        terminationGracePeriodSeconds: FRONTEND_STOP.terminationGracePeriodSeconds,
    };
    if (!settings.managedConfig) {
        return {
            ...pod,
            containers: [
                {
                    ...common,
                    args: ["nginx", "-g", "daemon off;"],
                    // Its baked config may proxy any path to the API, so no HTTP check is nginx's own: both probes
                    // are TCP checks (a named exception to distinct probes), liveness with its tolerant timing.
                    ...probes({ tcpPort: "http" }, { tcpPort: "http" }),
                    securityContext: containerSecurityContext({
                        readOnlyRootFilesystem: false,
                        addCapabilities: ROOT_NGINX_CAPABILITIES,
                    }),
                },
            ],
        };
    }
    if (args.configMapName === undefined) {
        throw new Error(`frontend profile "${args.profile}" runs the managed nginx config and needs its ConfigMap`);
    }
    return {
        ...pod,
        containers: [
            {
                ...common,
                // Bypass the image's entrypoint scripts: they rewrite files under /etc/nginx, which is read-only.
                command: ["nginx"],
                args: ["-c", `${CONFIG_DIR}/${CONFIG_FILE}`, "-g", "daemon off;"],
                // Ready when nginx answers HTTP itself; alive while it accepts connections.
                ...probes({ http: NGINX_HEALTH_PATH, port: "http" }, { tcpPort: "http" }),
                securityContext: containerSecurityContext({ readOnlyRootFilesystem: true }),
                volumeMounts: [
                    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                    { name: "runtime", mountPath: NGINX_RUNTIME_DIR },
                ],
            },
        ],
        volumes: [
            { name: "config", configMap: { name: args.configMapName } },
            { name: "runtime", emptyDir: { sizeLimit: "64Mi" } },
        ],
    };
}

/** Where the frontend can be reached, given the Service type and what the cluster assigned. */
export interface FrontendAccess {
    readonly serviceType: ServiceType;
    readonly namespace: string;
    /** See FrontendArgs.host. */
    readonly host?: string;
    readonly loadBalancerAddress?: string;
    readonly nodePort?: number;
}

/** A host in a URL: an IPv6 address goes in brackets. */
const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

/**
 * The frontend's URL, for scripts: `http://<load balancer>` or `http://<host>:<node port>`, and empty
 * while unknown (no address yet, a NodePort without a host, a ClusterIP Service).
 */
export function frontendUrl(a: FrontendAccess): string {
    switch (a.serviceType) {
        case "LoadBalancer":
            return a.loadBalancerAddress ? `http://${urlHost(a.loadBalancerAddress)}` : "";
        case "NodePort":
            return a.host && a.nodePort ? `http://${urlHost(a.host)}:${a.nodePort}` : "";
        case "ClusterIP":
            return "";
    }
}

/** How a person reaches the frontend, in words: what frontendUrl is, or what to run when it is empty. */
export function frontendHint(a: FrontendAccess): string {
    const service = `Service ${FRONTEND_NAMES.service} in namespace ${a.namespace}`;
    switch (a.serviceType) {
        case "LoadBalancer":
            return a.loadBalancerAddress
                ? `the load balancer of ${service}`
                : `the load balancer of ${service} has no address yet (minikube: run minikube tunnel)`;
        case "NodePort":
            return (
                `node port ${a.nodePort ?? "<pending>"} of ${service} on any node's address ` +
                `(minikube: minikube service ${FRONTEND_NAMES.service} -n ${a.namespace} --url)` +
                (a.host ? "" : "; set frontendHost to a node's address to get frontendUrl")
            );
        case "ClusterIP":
            return `kubectl -n ${a.namespace} port-forward svc/${FRONTEND_NAMES.service} 8080:${FRONTEND_SERVICE_PORT}, then http://localhost:8080`;
    }
}

/** nginx: Deployment `frontend` behind Service `nginx` on port 80, proxying everything to the API. */
export class Frontend extends pulumi.ComponentResource {
    public readonly service: k8s.core.v1.Service;
    public readonly deployment: k8s.apps.v1.Deployment;
    /** See frontendUrl. */
    public readonly url: pulumi.Output<string>;
    /** See frontendHint. */
    public readonly hint: pulumi.Output<string>;

    constructor(name: string, args: FrontendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:Frontend", name, {}, opts);
        const profile = args.profile ?? FRONTEND_DEFAULTS.profile;
        const image = args.image;
        const serviceType = args.serviceType ?? FRONTEND_DEFAULTS.serviceType;
        const settings = FRONTEND_PROFILE_SETTINGS[profile];

        // Auto-named, so an edit of the proxy config shows in preview as a new ConfigMap and rolls the pods.
        const config = settings.managedConfig
            ? new k8s.core.v1.ConfigMap(
                  `${name}-config`,
                  {
                      metadata: { namespace: args.namespace, labels: tierLabels("frontend", args.instance) },
                      data: {
                          [CONFIG_FILE]: pulumi.output(args.upstream).apply((upstream) =>
                              renderNginxConfig({
                                  listenPort: settings.containerPort,
                                  upstreams: [upstream],
                                  runtimeDir: NGINX_RUNTIME_DIR,
                              }),
                          ),
                      },
                  },
                  { parent: this },
              )
            : undefined;

        const tier = statelessTier(this, name, {
            placement: args.placement,
            rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
            namespace: args.namespace,
            instance: args.instance,
            tier: "frontend",
            names: FRONTEND_NAMES,
            image,
            replicas: args.replicas ?? FRONTEND_DEFAULTS.replicas,
            podSpec: frontendPodSpec({
                profile,
                image: image.ref,
                configMapName: config?.metadata.name,
                resources: args.resources ?? DEFAULT_FRONTEND_RESOURCES,
            }),
            serviceType,
            servicePort: FRONTEND_SERVICE_PORT,
            containerPort: settings.containerPort,
            // Traffic comes from load balancers and node ports, so nginx's port is open to everyone.
            allowFrom: "anywhere",
        });
        this.deployment = tier.deployment;
        this.service = tier.service;

        const access = pulumi
            .all([this.service.status, this.service.spec, args.namespace])
            .apply(([status, spec, namespace]): FrontendAccess => ({
                serviceType,
                namespace,
                host: args.host,
                loadBalancerAddress:
                    status?.loadBalancer?.ingress?.[0]?.ip ?? status?.loadBalancer?.ingress?.[0]?.hostname,
                nodePort: spec?.ports?.[0]?.nodePort,
            }));
        this.url = access.apply(frontendUrl);
        this.hint = access.apply(frontendHint);
        this.registerOutputs({ service: this.service, deployment: this.deployment, url: this.url, hint: this.hint });
    }
}
