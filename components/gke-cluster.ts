import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ImageRepository } from "./image-repository";
import { kubeconfigFor } from "./kubeconfig";
import { REVIEW_NODES } from "./review-access";
import type { GceDisk } from "./redis";
import { PROJECT } from "../project";

/** VPC-native address plan: nodes, then the secondary ranges pods and Services take their IPs from. */
const GKE_NETWORK_RANGES = {
    nodes: "10.10.0.0/20",
    pods: { name: "pods", cidr: "10.20.0.0/14" },
    services: { name: "services", cidr: "10.24.0.0/20" },
} as const;
/**
 * When GKE may upgrade the control plane and recreate nodes: Saturdays and Sundays, 02:00–10:00 UTC, away
 * from working hours. GKE needs at least 48 hours in any 32 days, counting windows of 4 hours or more:
 * 8-hour windows on the at least 8 weekend days of any 32 give 64. The dates are the first weekend the
 * rule applies from (a Saturday); GKE reports times in UTC, so they are written in UTC to avoid a diff.
 */
export const GKE_MAINTENANCE_WINDOW = {
    startTime: "2025-01-04T02:00:00Z",
    endTime: "2025-01-04T10:00:00Z",
    recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
} as const;
/** The nodes' access scope; their service account's roles are what limit them. */
const NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

/** Upper bound of the review stacks' node pool: a few pull requests at a time, one small app each. */
const REVIEW_POOL_MAX_NODES = 3;

export const RELEASE_CHANNELS = ["RAPID", "REGULAR", "STABLE", "EXTENDED"] as const;
export type ReleaseChannel = (typeof RELEASE_CHANNELS)[number];
/** Standard: this program's own node pool. Autopilot: GKE sizes and manages the nodes; regional only. */
export const GKE_MODES = ["standard", "autopilot"] as const;
export type GkeMode = (typeof GKE_MODES)[number];

/** Defaults of GkeClusterArgs: a small zonal Standard cluster with public nodes that `pulumi destroy` can delete. */
export const GKE_DEFAULTS = {
    location: "us-central1-a",
    mode: "standard" as GkeMode,
    machineType: "e2-standard-2",
    nodeCount: 2,
    minNodeCount: 1,
    maxNodeCount: 4,
    releaseChannel: "REGULAR" as ReleaseChannel,
    privateNodes: false,
    ipEndpoint: false,
    authorizedNetworks: [] as readonly string[],
    protect: false,
} as const;

export interface GkeClusterArgs {
    /** The GCP project. */
    readonly project: string;
    /** The stack that owns the cluster: the `stack` label of everything here that takes labels (gcpLabels). */
    readonly stack: string;
    /**
     * Email of the service account the nodes run as, made and granted its project roles outside this program
     * (the bootstrap stack's nodeServiceAccount output). This component grants it image pulls from the app's
     * repository only. Required.
     */
    readonly nodeServiceAccount: string;
    /**
     * Cloud KMS key (`projects/…/locations/…/keyRings/…/cryptoKeys/…`, in the cluster's region) that encrypts
     * the cluster's Secrets at the application layer; GKE's service agent must be allowed to use it (the
     * bootstrap stack's gkeDatabaseEncryptionKey output). Required.
     */
    readonly databaseEncryptionKey: string;
    /**
     * Email of the service account review stacks deploy as: it may push their images to the app's repository,
     * where this cluster's nodes pull them. Default: none (no review stacks).
     */
    readonly reviewServiceAccount?: string;
    /** A region (regional cluster) or a zone (zonal cluster). Default: GKE_DEFAULTS.location. */
    readonly location?: string;
    /** Standard or Autopilot; Autopilot needs a region and ignores the node pool settings. Default: standard. */
    readonly mode?: GkeMode;
    /** Node machine type (Standard). Default: GKE_DEFAULTS.machineType. */
    readonly machineType?: string;
    /**
     * Nodes per zone at creation; the autoscaler moves it within min..max afterwards. Default:
     * GKE_DEFAULTS.nodeCount.
     */
    readonly nodeCount?: number;
    /** Autoscaler minimum per zone. Default: GKE_DEFAULTS.minNodeCount. */
    readonly minNodeCount?: number;
    /** Autoscaler maximum per zone. Default: GKE_DEFAULTS.maxNodeCount. */
    readonly maxNodeCount?: number;
    /** Default: GKE_DEFAULTS.releaseChannel. */
    readonly releaseChannel?: ReleaseChannel;
    /**
     * Nodes without public IPs; they reach the internet (image registries) through Cloud NAT. How the
     * control plane is reached does not change (see ipEndpoint). Default: false.
     */
    readonly privateNodes?: boolean;
    /**
     * The control plane's IP endpoint besides its DNS endpoint, which is always on and admits callers by IAM
     * from any network: what CI runners without stable addresses need. The IP endpoint admits whoever can
     * reach it, limited only by authorizedNetworks. Default: false (DNS endpoint only).
     */
    readonly ipEndpoint?: boolean;
    /**
     * CIDRs allowed to reach the control plane's IP endpoint; only with ipEndpoint. Default: none, so the IP
     * endpoint, when on, is open to all.
     */
    readonly authorizedNetworks?: readonly string[];
    /**
     * Long-lived cluster: GKE deletion protection on, and Pulumi `protect` on the cluster and the node
     * pool, so a replace or destroy stops before anything is deleted. Default: false (destroyable).
     */
    readonly protect?: boolean;
    /**
     * A persistent disk for the app's data that this component owns, so that Pulumi deletes it (after the
     * volume that uses it) instead of the cluster's CSI driver, which may be gone by then. `zone` defaults
     * to the location when that is a zone; a regional cluster must name one of its zones. Default: none.
     */
    readonly dataDisk?: { readonly sizeGb: number; readonly zone?: string };
}

/**
 * The GCP labels of everything a stack's cluster owns that takes labels (cluster, nodes, data disk, image
 * repository): what it is part of and which stack made it, for billing reports and inventory. A label value
 * takes lowercase letters, digits, '_' and '-' only, 63 at most; a stack name may hold more.
 */
export function gcpLabels(stack: string): Record<string, string> {
    return {
        "part-of": PROJECT,
        stack: stack
            .toLowerCase()
            .replace(/[^a-z0-9_-]/g, "-")
            .slice(0, 63),
    };
}

/** The region of a GCP location: a zone such as us-central1-a lies in us-central1. */
export function regionOf(location: string): string {
    return /-[a-z]$/.test(location) ? location.slice(0, -2) : location;
}

/**
 * A kubeconfig for the control plane's DNS endpoint (`dnsEndpoint`, a host name), which every caller can
 * reach and which admits them by IAM, whether or not the IP endpoint is on. That endpoint serves a
 * certificate from a public CA, so no cluster CA is needed; it authenticates with gcloud's exec plugin, so
 * it holds no credential either.
 */
export function gkeKubeconfig(args: { name: string; dnsEndpoint: string }): string {
    return kubeconfigFor({
        name: args.name,
        cluster: { server: `https://${args.dnsEndpoint}` },
        user: {
            exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: "gke-gcloud-auth-plugin",
                installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                provideClusterInfo: true,
                interactiveMode: "Never",
            },
        },
    });
}

/** GkeClusterArgs with their defaults applied: what more than one part of the cluster reads. */
interface ClusterSettings {
    readonly project: string;
    readonly location: string;
    readonly autopilot: boolean;
    readonly privateNodes: boolean;
    readonly ipEndpoint: boolean;
    readonly authorizedNetworks: readonly string[];
    readonly protect: boolean;
    readonly labels: Record<string, string>;
}

/** The settings of a cluster; refuses authorizedNetworks without the IP endpoint they limit. */
function clusterSettings(args: GkeClusterArgs): ClusterSettings {
    const ipEndpoint = args.ipEndpoint ?? GKE_DEFAULTS.ipEndpoint;
    const authorizedNetworks = args.authorizedNetworks ?? GKE_DEFAULTS.authorizedNetworks;
    if (!ipEndpoint && authorizedNetworks.length > 0) {
        throw new Error(
            "GkeClusterArgs.authorizedNetworks: they limit the IP endpoint, so they need ipEndpoint true, " +
                `got ${authorizedNetworks.join(",")}`,
        );
    }
    return {
        project: args.project,
        location: args.location ?? GKE_DEFAULTS.location,
        autopilot: (args.mode ?? GKE_DEFAULTS.mode) === "autopilot",
        privateNodes: args.privateNodes ?? GKE_DEFAULTS.privateNodes,
        ipEndpoint,
        authorizedNetworks,
        protect: args.protect ?? GKE_DEFAULTS.protect,
        labels: gcpLabels(args.stack),
    };
}

/** The nodes' subnetwork, with the secondary ranges pods and Services take their IPs from. */
function subnetworkSpec(settings: ClusterSettings, network: pulumi.Input<string>): gcp.compute.SubnetworkArgs {
    return {
        project: settings.project,
        region: regionOf(settings.location),
        network,
        ipCidrRange: GKE_NETWORK_RANGES.nodes,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
            { rangeName: GKE_NETWORK_RANGES.pods.name, ipCidrRange: GKE_NETWORK_RANGES.pods.cidr },
            { rangeName: GKE_NETWORK_RANGES.services.name, ipCidrRange: GKE_NETWORK_RANGES.services.cidr },
        ],
    };
}

/** The cluster's fields that differ between Autopilot and Standard: who makes the nodes, and as whom they run. */
function nodeModeSpec(autopilot: boolean, nodeServiceAccount: string): Partial<gcp.container.ClusterArgs> {
    return autopilot
        ? {
              enableAutopilot: true,
              // Autopilot's nodes run as this account instead of the project's default one.
              clusterAutoscaling: {
                  autoProvisioningDefaults: { serviceAccount: nodeServiceAccount, oauthScopes: NODE_OAUTH_SCOPES },
              },
          }
        : {
              // The node pool below is managed on its own, so it can change without recreating the cluster.
              removeDefaultNodePool: true,
              initialNodeCount: 1,
              // The default pool GKE starts with, until the line above deletes it, runs as this
              // account too, not as the Compute Engine default account (Editor on the project).
              nodeConfig: { serviceAccount: nodeServiceAccount, oauthScopes: NODE_OAUTH_SCOPES },
              // Dataplane V2 enforces the app's NetworkPolicies (Autopilot always runs it).
              datapathProvider: "ADVANCED_DATAPATH",
          };
}

/** How the control plane is reached: its endpoints, and who may reach the IP one. */
function controlPlaneAccessSpec(settings: ClusterSettings): Partial<gcp.container.ClusterArgs> {
    const { ipEndpoint, privateNodes, authorizedNetworks } = settings;
    return {
        // The DNS endpoint, open to callers outside Google Cloud and admitting them by IAM, is what
        // kubectl, CI and this program's provider use (gkeKubeconfig); the IP endpoint is optional.
        controlPlaneEndpointsConfig: {
            dnsEndpointConfig: { allowExternalTraffic: true },
            ipEndpointsConfig: { enabled: ipEndpoint },
        },
        // With the IP endpoint on it keeps its public address (authorizedNetworks limit it); with it off
        // there is no IP endpoint to make public or private, so that is left unset.
        ...(privateNodes
            ? {
                  privateClusterConfig: {
                      enablePrivateNodes: true,
                      ...(ipEndpoint ? { enablePrivateEndpoint: false } : {}),
                  },
              }
            : {}),
        ...(authorizedNetworks.length > 0
            ? {
                  masterAuthorizedNetworksConfig: {
                      cidrBlocks: authorizedNetworks.map((cidrBlock) => ({ cidrBlock, displayName: cidrBlock })),
                  },
              }
            : {}),
    };
}

/** The cluster itself, in the given network and subnetwork. */
function clusterSpec(
    args: GkeClusterArgs,
    settings: ClusterSettings,
    network: pulumi.Input<string>,
    subnetwork: pulumi.Input<string>,
): gcp.container.ClusterArgs {
    return {
        project: settings.project,
        location: settings.location,
        network,
        subnetwork,
        ...nodeModeSpec(settings.autopilot, args.nodeServiceAccount),
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
            clusterSecondaryRangeName: GKE_NETWORK_RANGES.pods.name,
            servicesSecondaryRangeName: GKE_NETWORK_RANGES.services.name,
        },
        releaseChannel: { channel: args.releaseChannel ?? GKE_DEFAULTS.releaseChannel },
        maintenancePolicy: { recurringWindow: GKE_MAINTENANCE_WINDOW },
        resourceLabels: settings.labels,
        workloadIdentityConfig: { workloadPool: `${settings.project}.svc.id.goog` },
        // Secrets (the Redis password) are encrypted in etcd with a key this project controls, so a
        // copy of etcd alone does not reveal them, and revoking the key makes them unreadable.
        databaseEncryption: { state: "ENCRYPTED", keyName: args.databaseEncryptionKey },
        ...controlPlaneAccessSpec(settings),
        enableLegacyAbac: false,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        deletionProtection: settings.protect,
    };
}

type NodeConfig = gcp.types.input.container.NodePoolNodeConfig;

/** The node VMs of this program's node pools. */
function nodeConfigSpec(args: GkeClusterArgs, labels: Record<string, string>): NodeConfig {
    return {
        machineType: args.machineType ?? GKE_DEFAULTS.machineType,
        // The node VMs' own labels: they are what a billing report groups.
        resourceLabels: labels,
        serviceAccount: args.nodeServiceAccount,
        oauthScopes: NODE_OAUTH_SCOPES,
        // Pods see the GKE metadata server, which serves Workload Identity, not the node's identity.
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    };
}

/** A node pool of this program's (Standard), autoscaled within `autoscaling`, repaired and upgraded by GKE. */
function nodePoolSpec(
    settings: ClusterSettings,
    cluster: pulumi.Input<string>,
    pool: Pick<gcp.container.NodePoolArgs, "initialNodeCount" | "autoscaling"> & { nodeConfig: NodeConfig },
): gcp.container.NodePoolArgs {
    return {
        project: settings.project,
        location: settings.location,
        cluster,
        initialNodeCount: pool.initialNodeCount,
        autoscaling: pool.autoscaling,
        management: { autoRepair: true, autoUpgrade: true },
        nodeConfig: pool.nodeConfig,
    };
}

/** The app's node pool (Standard). */
function appNodePoolSpec(
    args: GkeClusterArgs,
    settings: ClusterSettings,
    cluster: pulumi.Input<string>,
): gcp.container.NodePoolArgs {
    return nodePoolSpec(settings, cluster, {
        initialNodeCount: args.nodeCount ?? GKE_DEFAULTS.nodeCount,
        autoscaling: {
            minNodeCount: args.minNodeCount ?? GKE_DEFAULTS.minNodeCount,
            maxNodeCount: args.maxNodeCount ?? GKE_DEFAULTS.maxNodeCount,
        },
        nodeConfig: nodeConfigSpec(args, settings.labels),
    });
}

/** The review stacks' node pool (Standard): labelled REVIEW_NODES, and tainted so to keep every other pod off. */
function reviewNodePoolSpec(
    args: GkeClusterArgs,
    settings: ClusterSettings,
    cluster: pulumi.Input<string>,
): gcp.container.NodePoolArgs {
    return nodePoolSpec(settings, cluster, {
        initialNodeCount: 1,
        // No review stack, no node.
        autoscaling: { minNodeCount: 0, maxNodeCount: REVIEW_POOL_MAX_NODES },
        nodeConfig: {
            ...nodeConfigSpec(args, settings.labels),
            labels: { [REVIEW_NODES.key]: REVIEW_NODES.value },
            taints: [{ key: REVIEW_NODES.key, value: REVIEW_NODES.value, effect: "NO_SCHEDULE" }],
        },
    });
}

/** Cloud NAT for the network: private nodes have no public IP, and pull images from public registries through it. */
function cloudNat(
    name: string,
    settings: ClusterSettings,
    network: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): void {
    const { project } = settings;
    const router = new gcp.compute.Router(
        `${name}-router`,
        { project, region: regionOf(settings.location), network },
        opts,
    );
    new gcp.compute.RouterNat(
        `${name}-nat`,
        {
            project,
            region: router.region,
            router: router.name,
            natIpAllocateOption: "AUTO_ONLY",
            sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
        },
        opts,
    );
}

/** The data disk the app's volume uses, in its zone: the location, or the zone a regional cluster names. */
function dataDisk(
    name: string,
    disk: NonNullable<GkeClusterArgs["dataDisk"]>,
    settings: ClusterSettings,
    opts: pulumi.CustomResourceOptions,
): GceDisk {
    const zone = disk.zone ?? settings.location;
    if (regionOf(zone) === zone) throw new Error(`GkeClusterArgs.dataDisk.zone: a zone is needed, got "${zone}"`);
    const created = new gcp.compute.Disk(
        `${name}-data`,
        { project: settings.project, zone, size: disk.sizeGb, type: "pd-balanced", labels: settings.labels },
        { ...opts, protect: settings.protect },
    );
    return { id: created.id, zone };
}

/**
 * A VPC-native GKE cluster, Standard with its own autoscaled node pool or Autopilot, its nodes running as
 * the least-privilege service account it is given, and a Kubernetes provider for it.
 */
export class GkeCluster extends pulumi.ComponentResource {
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    /** The data disk, when dataDisk was given. */
    public readonly dataDisk?: GceDisk;
    /**
     * Not a secret: it names the DNS endpoint and runs gke-gcloud-auth-plugin, and holds no credential, so
     * review stacks read it through a StackReference without being able to decrypt any of this stack's secrets.
     */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The Artifact Registry repository the app's images go to, which the nodes may pull from. */
    public readonly imageRegistry: pulumi.Output<string>;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:GkeCluster", name, {}, opts);
        const childOpts = { parent: this };
        const settings = clusterSettings(args);
        const { project, location, protect } = settings;

        const network = new gcp.compute.Network(
            `${name}-network`,
            { project, autoCreateSubnetworks: false },
            childOpts,
        );
        const subnetwork = new gcp.compute.Subnetwork(
            `${name}-subnetwork`,
            subnetworkSpec(settings, network.id),
            childOpts,
        );
        this.imageRegistry = new ImageRepository(
            `${name}-images`,
            {
                project,
                region: regionOf(location),
                readers: [`serviceAccount:${args.nodeServiceAccount}`],
                writers: args.reviewServiceAccount === undefined ? [] : [`serviceAccount:${args.reviewServiceAccount}`],
                labels: settings.labels,
            },
            childOpts,
        ).registry;
        if (settings.privateNodes) cloudNat(name, settings, network.id, childOpts);

        const cluster = new gcp.container.Cluster(
            `${name}-cluster`,
            clusterSpec(args, settings, network.id, subnetwork.id),
            // nodeConfig only shapes the default pool at creation: once that is gone GKE reports the remaining
            // pool's settings there, and that difference would replace the cluster on every update.
            { ...childOpts, protect, ignoreChanges: ["nodeConfig"] },
        );
        // Autopilot makes its own nodes; the provider then waits for the cluster alone.
        const nodes = settings.autopilot
            ? cluster
            : new gcp.container.NodePool(`${name}-nodes`, appNodePoolSpec(args, settings, cluster.name), {
                  ...childOpts,
                  protect,
              });
        // Review stacks run a pull request's code: on nodes of their own, which the taint keeps every other
        // pod off, so their pods never share a node (and its kernel) with gke's app and its Redis. Autopilot
        // gives pods that select and tolerate such a label nodes of their own by itself (workload separation).
        if (!settings.autopilot && args.reviewServiceAccount !== undefined) {
            new gcp.container.NodePool(
                `${name}-review-nodes`,
                reviewNodePoolSpec(args, settings, cluster.name),
                childOpts,
            );
        }
        if (args.dataDisk !== undefined) this.dataDisk = dataDisk(name, args.dataDisk, settings, childOpts);

        this.clusterName = cluster.name;
        this.kubeconfig = pulumi
            .all([cluster.name, cluster.controlPlaneEndpointsConfig])
            .apply(([clusterName, endpoints]) =>
                gkeKubeconfig({
                    name: `gke_${project}_${location}_${clusterName}`,
                    dnsEndpoint: endpoints.dnsEndpointConfig?.endpoint ?? "",
                }),
            );
        // Waits for the node pool, so workloads are not created on a cluster without nodes; on destroy,
        // every Kubernetes object (LoadBalancer Services, volumes) is gone before the nodes and the cluster.
        // clusterIdentifier: without it the provider is replaced, and every object with it, whenever the
        // kubeconfig's server changes (another endpoint of the same cluster); with it, only a new cluster does.
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, clusterIdentifier: cluster.id },
            { ...childOpts, dependsOn: [nodes] },
        );

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            imageRegistry: this.imageRegistry,
            provider: this.provider,
        });
    }
}
