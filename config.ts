// Reads and validates the whole stack configuration in one place and builds the components' Args from
// it. index.ts calls loadConfig() before it registers any resource, so a bad value stops `pulumi preview`
// with every problem listed at once. CONFIG_KEYS declares every key once: its type, its default and range
// (the components' own) and what it allows; Pulumi.yaml declares the same for `pulumi config` (a unit test
// keeps the two equal). parseConfig reads the keys every target shares, then the chosen target's.
import { isIP } from "node:net";
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_NAMESPACE, ThreeTierAppArgs } from "./components/app";
import { BACKEND_DEFAULTS } from "./components/backend";
import { FRONTEND_DEFAULTS, FRONTEND_PROFILES, TUTORIAL_FRONTEND_IMAGE } from "./components/frontend";
import { GKE_DEFAULTS, GKE_MODES, GkeClusterArgs, regionOf, RELEASE_CHANNELS } from "./components/gke-cluster";
import { DEFAULT_KUBE_CONTEXT, KubeconfigClusterArgs } from "./components/kubeconfig-cluster";
import { ACCESS_MODES, REDIS_DEFAULTS } from "./components/redis";
import { contextServer, kubeconfigTexts } from "./components/kubeconfig";
import { ReviewAccessArgs } from "./components/review-access";
import { StackClusterArgs } from "./components/stack-cluster";
import { REPLICAS_RANGE } from "./components/stateless-tier";
import { PROJECT } from "./project";
import {
    ContainerImage,
    referencedImage,
    ROLLOUT_TIMEOUT_RANGE,
    ROLLOUT_TIMEOUT_SECONDS,
    SERVICE_TYPES,
} from "./components/workload";

const TARGETS = ["kubeconfig", "gke", "stack"] as const;
type Target = (typeof TARGETS)[number];

/** The review identity on target kubeconfig: a ServiceAccount, as clusters without an outside IAM have. */
const REVIEW_SERVICE_ACCOUNT = "reviewer";

/** Where target kubeconfig's images go by default: minikube's registry addon, the default context's. */
const DEFAULT_IMAGE_REGISTRY = "localhost:5000/three-tier-app";

/**
 * Nodes per zone a GKE node pool may have. (GkeCluster's to own, beside GKE_DEFAULTS: here until the
 * split of components/gke-cluster.ts lands.)
 */
const GKE_NODE_RANGES = {
    nodeCount: { min: 1, max: 100 },
    minNodeCount: { min: 0, max: 100 },
    maxNodeCount: { min: 1, max: 100 },
} as const;
/** GKE's limit on authorized networks of a public endpoint. */
const MAX_AUTHORIZED_NETWORKS = 50;

// Docker reference grammar (registry[:port]/path[:tag][@digest]), kept to what registries accept.
const IMAGE_PATTERN =
    /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const DIGEST_PATTERN = /@sha256:[a-f0-9]{64}$/;
const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const QUANTITY_PATTERN = /^[1-9][0-9]*(?:Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const NODE_PATH_PATTERN = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+)+$/;
const HTTP_PATH_PATTERN = /^\/[A-Za-z0-9._~\/-]*$/;
const GKE_MACHINE_TYPE_PATTERN = /^[a-z][a-z0-9]*-[a-z0-9-]+$/;
const GCP_LOCATION_PATTERN = /^[a-z]+-[a-z]+[0-9]+(?:-[a-z])?$/;
const GCP_PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** `<account id>@<project id>.iam.gserviceaccount.com`: a user-managed service account's email. */
const SERVICE_ACCOUNT_EMAIL_PATTERN =
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;
/** `projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`; the location is captured. */
const KMS_CRYPTO_KEY_PATTERN =
    /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/locations\/([a-z0-9-]+)\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}$/;
/** `<org>/<project>/<stack>`, each part as the Pulumi CLI accepts it. */
const CLUSTER_STACK_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const LABEL_VALUE_PATTERN = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A repository prefix images are pushed under: `host[:port]/path` (at least one path segment). */
const IMAGE_REGISTRY_PATTERN =
    /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/;

/** The whole numbers an integer key allows, both ends included. */
interface Range {
    readonly min: number;
    readonly max: number;
}

/** A key's one declaration: Pulumi.yaml and the README's table say the same (tests/config.test.ts). */
export interface ConfigKeySpec<T> {
    /** Its type in Pulumi.yaml. */
    readonly type: "string" | "integer" | "boolean";
    /** Its value when the stack does not set it: the applying component's default, or "" for "not set". */
    readonly default: T;
    /** For an integer key: the values allowed, the applying component's. */
    readonly range?: Range;
    /** Set with `pulumi config set --secret`; parseConfig hands it on as a secret Output. */
    readonly secret?: boolean;
    /** What a value must be, as the message that refuses one says. */
    readonly allowed: string;
    /**
     * What the key means, for `pulumi config` and the README; an integer key's range is added to it. Pulumi.yaml
     * and the README's table say exactly this (tests/config.test.ts).
     */
    readonly description: string;
    /** The value of the stack's text (the default when it sets none), and whether the key allows it. */
    readonly read: (text: string | undefined) => { readonly value: T; readonly ok: boolean };
}

/** A string key; `allows` decides the default too (a required key refuses its empty default). */
function stringKey(
    description: string,
    fallback: string,
    allowed = "any text",
    allows: (value: string) => boolean = () => true,
): ConfigKeySpec<string> {
    return {
        type: "string",
        default: fallback,
        description,
        allowed,
        read: (text) => {
            const value = text ?? fallback;
            return { value, ok: allows(value) };
        },
    };
}
const matching = (pattern: RegExp) => (value: string) => pattern.test(value);
const emptyOr = (allows: (value: string) => boolean) => (value: string) => value === "" || allows(value);

function oneOfKey<T extends string>(description: string, values: readonly T[], fallback: T): ConfigKeySpec<T> {
    return {
        type: "string",
        default: fallback,
        description,
        allowed: `one of ${values.join(", ")}`,
        read: (text) => {
            const value = (text ?? fallback) as T;
            return { value, ok: values.includes(value) };
        },
    };
}

function integerKey(description: string, fallback: number, range: Range): ConfigKeySpec<number> {
    return {
        type: "integer",
        default: fallback,
        description,
        range,
        allowed: `a whole number from ${range.min} to ${range.max}`,
        read: (text) => {
            const value = text === undefined ? fallback : /^-?[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
            return { value, ok: Number.isSafeInteger(value) && value >= range.min && value <= range.max };
        },
    };
}

function booleanKey(description: string, fallback: boolean): ConfigKeySpec<boolean> {
    return {
        type: "boolean",
        default: fallback,
        description,
        allowed: "true or false",
        read: (text) =>
            text === undefined
                ? { value: fallback, ok: true }
                : { value: text === "true", ok: text === "true" || text === "false" },
    };
}

/** A list of IPv4 networks, set as one comma-separated string. */
function cidrListKey(description: string, fallback: readonly string[]): ConfigKeySpec<readonly string[]> {
    return {
        type: "string",
        default: fallback,
        description,
        allowed:
            `empty, or up to ${MAX_AUTHORIZED_NETWORKS} comma-separated IPv4 CIDRs such as 203.0.113.0/24 ` +
            "with no bits set after the prefix",
        read: (text) => {
            const value =
                text === undefined
                    ? fallback
                    : text
                          .split(",")
                          .map((c) => c.trim())
                          .filter((c) => c !== "");
            return { value, ok: value.length <= MAX_AUTHORIZED_NETWORKS && value.every(isIPv4Cidr) };
        },
    };
}

/** A tier's image: empty means the one this program builds. */
const imageKey = (description: string) =>
    stringKey(
        description,
        "",
        "empty (the image this program builds) or an image reference like registry/name:tag or name@sha256:<digest>",
        emptyOr(matching(IMAGE_PATTERN)),
    );

/** A service account's email, as the message refusing one describes it. */
const SERVICE_ACCOUNT_EMAIL = "<id>@<project>.iam.gserviceaccount.com";

/**
 * Every key of this project, in Pulumi.yaml's order. The defaults are the components' own, but for target,
 * imageRegistry and reviewStacks, which are the config's.
 */
export const CONFIG_KEYS = {
    target: oneOfKey(
        "Where to deploy: `kubeconfig` (an existing cluster through a kubeconfig context, such as minikube or the local cluster), `gke` (a cluster this program provisions) or `stack` (the cluster another stack owns, clusterStack, such as gke's: review stacks). The old name `minikube` is refused with how to rename it.",
        TARGETS,
        "kubeconfig",
    ),
    namespace: stringKey(
        "Namespace that holds every object of the app; deleted on destroy.",
        DEFAULT_NAMESPACE,
        "a DNS label: lowercase letters, digits and '-', at most 63",
        matching(DNS_LABEL_PATTERN),
    ),
    kubeContext: stringKey(
        "kubeconfig context to deploy to (target `kubeconfig`).",
        DEFAULT_KUBE_CONTEXT,
        "a kubeconfig context name",
        matching(/^\S+$/),
    ),
    kubeconfig: stringKey(
        "kubeconfig file to read (target `kubeconfig`). Empty means `$KUBECONFIG`, then `~/.kube/config`.",
        "",
    ),
    // Allowed values depend on the target and the stack's name: stackTarget checks them.
    clusterStack: stringKey(
        "Target `stack` only, and required there: the stack that owns the cluster, fully qualified as `<org>/<project>/<stack>` (on a DIY backend `organization/three-tier-app/gke`). The program reads that stack's `kubeconfig` output through a StackReference and creates only its namespace and the app in that cluster; the keys that describe a cluster (`gke*`, kubeContext, kubeconfig, imageRegistry, reviewStacks), redisHostPath and protect `true` are refused.",
        "",
    ),
    frontendProfile: oneOfKey(
        "`unprivileged` (non-root nginx on :8080 running the config this program generates) or `tutorial` (the tutorial's own frontend image, root on :80 with its baked config).",
        FRONTEND_PROFILES,
        FRONTEND_DEFAULTS.profile,
    ),
    frontendImage: imageKey(
        "nginx image. Empty means the one this program builds (Debian's nginx, pushed to the stack's registry, deployed by digest); with frontendProfile `tutorial`, the tutorial's `c1524db4f1/kubernetes-tutorial-frontend:v0.2.0`. A tag is deployed unpinned (preview warns).",
    ),
    frontendReplicas: integerKey("nginx pods.", FRONTEND_DEFAULTS.replicas, REPLICAS_RANGE),
    frontendServiceType: oneOfKey(
        "Type of the nginx Service: `NodePort`, `LoadBalancer` (on minikube only with `minikube tunnel` running) or `ClusterIP`. Stack gke sets `LoadBalancer`.",
        SERVICE_TYPES,
        FRONTEND_DEFAULTS.serviceType,
    ),
    frontendHost: stringKey(
        "IP address or DNS name of a node, for the `frontendUrl` output of a NodePort (`http://<frontendHost>:<nodePort>`; stack local sets 172.31.255.2). Empty means none known, and `frontendUrl` is empty for a NodePort (`frontendHint` says how to reach it).",
        "",
        "empty, or the IP address or DNS name of a node",
        emptyOr((host) => isIP(host) !== 0 || DNS_SUBDOMAIN_PATTERN.test(host)),
    ),
    backendImage: imageKey(
        "Go API image. Empty means the one this program builds from `app/backend` (pushed to the stack's registry, deployed by digest). The tutorial's is `c1524db4f1/kubernetes-tutorial-backend:v0.3.0` (set backendReadinessPath `/healthz` with it). A tag is deployed unpinned (preview warns).",
    ),
    backendReplicas: integerKey("API pods.", BACKEND_DEFAULTS.replicas, REPLICAS_RANGE),
    backendReadinessPath: stringKey(
        "Readiness probe path of the API: `/readyz` for this repo's app (fails while Redis is unreachable), `/healthz` for the tutorial's image.",
        BACKEND_DEFAULTS.readinessPath,
        "an absolute HTTP path such as /healthz",
        matching(HTTP_PATH_PATTERN),
    ),
    redisImage: imageKey(
        "Redis image. Empty means the one this program builds (Debian's redis-server, pushed to the stack's registry, deployed by digest). A tag is deployed unpinned (preview warns).",
    ),
    imageRegistry: stringKey(
        "Target `kubeconfig` only: the repository prefix `host[:port]/path` the images this program builds are pushed to and the node pulls from. The default is minikube's registry addon (stack dev); stack local uses `172.31.255.2:5000/three-tier-app`, its cluster's registry. Plain HTTP for localhost and private addresses. On gke the images go to the program's Artifact Registry repository, with target `stack` to clusterStack's: set there, it is refused.",
        DEFAULT_IMAGE_REGISTRY,
        "a repository prefix host[:port]/path such as localhost:5000/three-tier-app",
        matching(IMAGE_REGISTRY_PATTERN),
    ),
    redisStorageSize: stringKey(
        "Size of the `redis-data` PersistentVolumeClaim.",
        REDIS_DEFAULTS.storageSize,
        "a positive storage quantity such as 10Gi or 512Mi",
        matching(QUANTITY_PATTERN),
    ),
    redisStorageClass: stringKey(
        "StorageClass of the `redis-data` claim. Empty means the cluster's default class. Not on gke, where Redis is on a disk the program owns.",
        "",
        "empty (the cluster default) or a StorageClass name",
        emptyOr(matching(DNS_SUBDOMAIN_PATTERN)),
    ),
    redisAccessMode: oneOfKey(
        "Access mode of the `redis-data` claim: `ReadWriteOnce`, `ReadWriteOncePod` or `ReadWriteMany`.",
        ACCESS_MODES,
        REDIS_DEFAULTS.accessMode,
    ),
    redisHostPath: stringKey(
        "A directory on the node for a PersistentVolume the program owns and binds `redis-data` to, so destroy deletes the claim, then the volume (waiting for it), then the namespace (single-node clusters such as local or minikube; not on gke or target `stack`). Empty means the StorageClass provisions the volume. Excludes redisStorageClass.",
        "",
        "empty, or an absolute directory path without . or .. parts",
        emptyOr(matching(NODE_PATH_PATTERN)),
    ),
    redisPassword: {
        ...stringKey(
            "Password Redis requires (set it with `pulumi config set --secret redisPassword`). Empty means none on target `kubeconfig`, where NetworkPolicies still admit only the API; on gke and review stacks (target `stack`), where Redis shares GKE's nodes, one the program generates once and keeps secret in the stack's state.",
            "",
        ),
        secret: true,
    },
    // One setting for every long-lived piece: the cluster, its node pool and the Redis claim.
    rolloutTimeoutSeconds: integerKey(
        "How long `pulumi up` waits for each workload's rollout (every pod Ready) before it fails the update; a crash-looping pod fails it then. Default: the Kubernetes provider's own 10 minutes.",
        ROLLOUT_TIMEOUT_SECONDS,
        ROLLOUT_TIMEOUT_RANGE,
    ),
    protect: booleanKey(
        "Long-lived data: `true` sets Pulumi protect on the Redis claim and volume and, on gke, on the disk, the cluster and its node pool, plus the cluster's GKE deletion protection, so a replace or destroy stops before anything is deleted (stack gke sets it). To tear such a stack down: `pulumi config set protect false`, `pulumi up`, then `pulumi destroy`. Leave false on review, test and local stacks.",
        GKE_DEFAULTS.protect,
    ),
    gkeLocation: stringKey(
        "GCP zone (zonal cluster) or region (regional cluster) of the GKE cluster (target `gke`). Autopilot needs a region.",
        GKE_DEFAULTS.location,
        "a GCP region or zone such as us-central1 or us-central1-a",
        matching(GCP_LOCATION_PATTERN),
    ),
    // Allowed values depend on gkeLocation: gkeDataZone() checks them.
    gkeDataZone: stringKey(
        "Zone of the Redis disk (a persistent disk the program owns and deletes after its volume). Empty means the cluster's zone; a regional cluster must name one of its zones (target `gke`).",
        "",
    ),
    gkeMode: oneOfKey(
        "`standard` (this program's autoscaled node pool) or `autopilot` (GKE runs the nodes; regional only; gkeMachineType and the node counts do not apply) (target `gke`).",
        GKE_MODES,
        GKE_DEFAULTS.mode,
    ),
    gkeMachineType: stringKey(
        "Machine type of the GKE node pool (target `gke`).",
        GKE_DEFAULTS.machineType,
        "a machine type such as e2-standard-2",
        matching(GKE_MACHINE_TYPE_PATTERN),
    ),
    gkeNodeCount: integerKey(
        "Nodes per zone when the node pool is created, within gkeMinNodeCount..gkeMaxNodeCount (target `gke`).",
        GKE_DEFAULTS.nodeCount,
        GKE_NODE_RANGES.nodeCount,
    ),
    gkeMinNodeCount: integerKey(
        "Autoscaler minimum nodes per zone (target `gke`).",
        GKE_DEFAULTS.minNodeCount,
        GKE_NODE_RANGES.minNodeCount,
    ),
    gkeMaxNodeCount: integerKey(
        "Autoscaler maximum nodes per zone (target `gke`).",
        GKE_DEFAULTS.maxNodeCount,
        GKE_NODE_RANGES.maxNodeCount,
    ),
    gkeReleaseChannel: oneOfKey(
        "GKE release channel: `RAPID`, `REGULAR`, `STABLE` or `EXTENDED` (target `gke`).",
        RELEASE_CHANNELS,
        GKE_DEFAULTS.releaseChannel,
    ),
    gkePrivateNodes: booleanKey(
        "Nodes without public IPs, reaching image registries through Cloud NAT; how the control plane is reached does not change (gkeIpEndpoint) (target `gke`).",
        GKE_DEFAULTS.privateNodes,
    ),
    gkeIpEndpoint: booleanKey(
        "The control plane's IP endpoint besides its DNS endpoint. The DNS endpoint is always on, admits callers by IAM from any network (CI runners without stable addresses too) and is what the stack's `kubeconfig` output and the program use; the IP endpoint admits whoever reaches it, limited only by gkeAuthorizedNetworks (target `gke`).",
        GKE_DEFAULTS.ipEndpoint,
    ),
    gkeAuthorizedNetworks: cidrListKey(
        "Comma-separated IPv4 CIDRs (at most 50) allowed to reach the control plane's IP endpoint, e.g. `203.0.113.0/24,198.51.100.7/32`; only with gkeIpEndpoint `true`. Empty means the IP endpoint, when on, is open to all (target `gke`).",
        GKE_DEFAULTS.authorizedNetworks,
    ),
    gkeNodeServiceAccount: stringKey(
        "Email of the service account the GKE nodes run as, `<id>@<project>.iam.gserviceaccount.com`: the bootstrap stack's `nodeServiceAccount` output, which holds the nodes' project roles. The program grants it only image pulls from the app's repository; the default node pool GKE starts a Standard cluster with runs as it too. Required with target `gke`.",
        "",
        `a service account email ${SERVICE_ACCOUNT_EMAIL}, the bootstrap stack's nodeServiceAccount output ` +
            "(required when target is gke)",
        matching(SERVICE_ACCOUNT_EMAIL_PATTERN),
    ),
    gkeDatabaseEncryptionKey: stringKey(
        "Cloud KMS key `projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>`, in the cluster's region, that encrypts the cluster's Secrets at the application layer: the bootstrap stack's `gkeDatabaseEncryptionKey` output (GKE's service agent may use it). Required with target `gke`.",
        "",
        "a Cloud KMS key projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>, the " +
            "bootstrap stack's gkeDatabaseEncryptionKey output (required when target is gke)",
        matching(KMS_CRYPTO_KEY_PATTERN),
    ),
    gkeReviewServiceAccount: stringKey(
        "Email of the service account review stacks (target `stack`) deploy as; it gets `roles/artifactregistry.writer` on the app's repository, so that they can push their images there, and the program declares its Kubernetes side (ReviewAccess: RBAC confined to namespaces `pr-*` by admission policies; exported as `namespaceAccess`). Empty means no review stacks (target `gke`).",
        "",
        `empty (no review stacks) or the email ${SERVICE_ACCOUNT_EMAIL} of the service account review stacks ` +
            "deploy as",
        emptyOr(matching(SERVICE_ACCOUNT_EMAIL_PATTERN)),
    ),
    reviewStacks: booleanKey(
        "Target `kubeconfig`: host review stacks (namespaces `pr-*`, target `stack` with clusterStack this stack) in this cluster as a Kubernetes ServiceAccount identity, the way gke hosts them for its review service account. Declares the review ClusterRoles and binding, the admission policies that confine that identity to `pr-*` and keep `pr-*` pods off the node, and exports `namespaceAccess` and the identity's `kubeconfig`.",
        false,
    ),
};

type ConfigKey = keyof typeof CONFIG_KEYS;
type ValueOf<K extends ConfigKey> = (typeof CONFIG_KEYS)[K] extends ConfigKeySpec<infer T> ? T : never;
/** The keys that describe a cluster: with target stack the cluster is clusterStack's, so they must keep their defaults. */
const CLUSTER_KEYS = (Object.keys(CONFIG_KEYS) as ConfigKey[]).filter(
    (key) =>
        key.startsWith("gke") ||
        key === "kubeContext" ||
        key === "kubeconfig" ||
        key === "imageRegistry" ||
        key === "reviewStacks",
);

/**
 * Settings that once existed, a key or one value of a key: a stack that still has one is refused with how
 * to move on, rather than silently losing what it did (gkeDeletionProtection: true must not turn into an
 * unprotected cluster) or failing with a message that does not say what the setting became.
 */
const RETIRED_SETTINGS = [
    {
        key: "gkeDeletionProtection",
        successor: "protect (which also protects the node pool and the Redis claim)",
        fix: "pulumi config rm gkeDeletionProtection and pulumi config set protect <true|false>",
    },
    {
        key: "target",
        value: "minikube",
        successor:
            "target kubeconfig (the same target under its own name: any existing cluster through a kubeconfig context)",
        fix: "pulumi config set target kubeconfig",
    },
] as const satisfies readonly { key: string; value?: string; successor: string; fix: string }[];
type RetiredKey = Exclude<(typeof RETIRED_SETTINGS)[number]["key"], ConfigKey>;

/** Where to deploy: the Args of the cluster component, tagged with the target that picks it. */
export type ClusterConfig =
    | ({ readonly target: "kubeconfig" } & KubeconfigClusterArgs)
    | ({ readonly target: "gke" } & GkeClusterArgs)
    | ({ readonly target: "stack" } & StackClusterArgs);

export interface AppConfig {
    readonly cluster: ClusterConfig;
    /**
     * The app's Args. `images` is set on target kubeconfig when the app builds any image; on gke and stack the
     * images go to the cluster's Artifact Registry repository, which index.ts takes from the cluster component.
     */
    readonly app: Required<Omit<ThreeTierAppArgs, "images" | "namespaceAccess">> & Pick<ThreeTierAppArgs, "images">;
    /** Review stacks' access to this stack's cluster (ReviewAccess), when it hosts them. */
    readonly reviewAccess?: ReviewAccessArgs;
    /** Images the stack names by a tag instead of a digest: deployed as given, so not pinned (warned about). */
    readonly unpinnedImages: readonly string[];
}

/** Raw string values as Pulumi hands them over, keyed by the short key; `gcp:project` under its full name. */
export type RawConfig = Readonly<Partial<Record<ConfigKey | RetiredKey | "gcp:project", string>>>;

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

const QUANTITY_FACTORS: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};
/** GCE's smallest balanced persistent disk. */
const MIN_DISK_GB = 10;

/** The GCE disk size (GB, which GCE counts in GiB) that holds a storage quantity such as 10Gi. */
export function diskSizeGb(quantity: string): number {
    const [, digits, suffix] = /^([0-9]+)([A-Za-z]*)$/.exec(quantity) ?? [];
    const bytes = Number(digits) * (QUANTITY_FACTORS[suffix ?? ""] ?? NaN);
    return Math.max(MIN_DISK_GB, Math.ceil(bytes / 2 ** 30));
}

/**
 * Whether images go to a registry over plain HTTP: one on this machine or a private address (the local
 * cluster's registry inside its node's network namespace, minikube's registry addon through a port-forward),
 * as container runtimes treat such registries. Anything else is HTTPS.
 */
export function plainHttpRegistry(prefix: string): boolean {
    const host = prefix.split("/")[0].replace(/:[0-9]+$/, "");
    if (host === "localhost") return true;
    if (isIP(host) !== 4) return false;
    const [a, b] = host.split(".").map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** An IPv4 network in CIDR notation whose address has no bits set beyond its prefix (GKE refuses those). */
function isIPv4Cidr(cidr: string): boolean {
    const [address, prefix, ...rest] = cidr.split("/");
    if (rest.length > 0 || isIP(address) !== 4 || !/^(?:[0-9]|[12][0-9]|3[0-2])$/.test(prefix ?? "")) return false;
    const bits = address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    const hostBits = 2 ** (32 - Number(prefix));
    return bits % hostBits === 0;
}

/** Reads the stack's keys, collecting every problem and every image deployed by tag. */
class Reader {
    readonly problems: string[] = [];
    readonly unpinnedImages: string[] = [];

    constructor(private readonly raw: RawConfig) {}

    /** The stack's text for a key, as set; undefined when it sets none. */
    text(key: keyof RawConfig): string | undefined {
        return this.raw[key];
    }

    /**
     * A key's value, its default when unset. A value the key does not allow is a problem, and is still
     * returned (as far as it parses) for the checks that follow; a retired value has its own message.
     */
    get<K extends ConfigKey>(key: K): ValueOf<K> {
        const spec = CONFIG_KEYS[key] as unknown as ConfigKeySpec<ValueOf<K>>;
        const text = this.raw[key];
        const { value, ok } = spec.read(text);
        if (!ok && !isRetiredValue(key, text)) this.fail(key, spec.allowed, text ?? String(value));
        return value;
    }

    /** Whether the stack sets a key to anything but its default, a value the key refuses included. */
    isSet(key: ConfigKey): boolean {
        const spec: ConfigKeySpec<unknown> = CONFIG_KEYS[key];
        const text = this.raw[key];
        if (text === undefined) return false;
        // "yes" reads as false but is no boolean; a required key's empty default is refused like its text "".
        const { value, ok } = spec.read(text);
        return !isDeepStrictEqual(value, spec.default) || ok !== spec.read(undefined).ok;
    }

    fail(key: ConfigKey | "gcp:project", allowed: string, got: string): void {
        this.problem(`${key.includes(":") ? key : `${PROJECT}:${key}`} must be ${allowed} (got "${got}")`);
    }

    problem(message: string): void {
        this.problems.push(message);
    }
}

/** Whether the stack's text for a key is that retired setting: the key set and, for a retired value, to it. */
function isRetired(setting: (typeof RETIRED_SETTINGS)[number], text: string | undefined): boolean {
    return text !== undefined && (!("value" in setting) || setting.value === text);
}
function isRetiredValue(key: ConfigKey, text: string | undefined): boolean {
    return RETIRED_SETTINGS.some((setting) => setting.key === key && isRetired(setting, text));
}

/**
 * Validates raw values of stack `stack`, applies defaults and builds the Args: the keys every target
 * reads, then the target's own. Throws one ConfigError listing every problem.
 */
export function parseConfig(raw: RawConfig, stack: string): AppConfig {
    const r = new Reader(raw);
    if (!LABEL_VALUE_PATTERN.test(stack)) {
        r.problem(
            "the stack name must be a Kubernetes label value (it becomes app.kubernetes.io/instance): at most 63 " +
                `letters, digits, '-', '_' or '.', starting and ending with a letter or digit (got "${stack}")`,
        );
    }
    for (const setting of RETIRED_SETTINGS) {
        if (isRetired(setting, raw[setting.key])) {
            const named = "value" in setting ? `${setting.key} ${setting.value}` : setting.key;
            r.problem(`${PROJECT}:${named} is replaced by ${PROJECT}:${setting.successor}: run ${setting.fix}`);
        }
    }
    const target = r.get("target");
    const protect = r.get("protect");
    const app = {
        namespace: r.get("namespace"),
        instance: stack,
        frontend: frontendArgs(r),
        backend: backendArgs(r),
        redis: redisArgs(r, target, protect),
        rolloutTimeoutSeconds: r.get("rolloutTimeoutSeconds"),
    };
    if (target !== "stack" && r.isSet("clusterStack")) {
        r.fail("clusterStack", "empty unless target is stack", raw.clusterStack ?? "");
    }
    const builds = [app.frontend.image, app.backend.image, app.redis.image].some((i) => i === undefined);
    const { cluster, images, reviewAccess } =
        target === "gke"
            ? gkeTarget(r, stack, app.redis)
            : target === "stack"
              ? stackTarget(r, stack, protect)
              : kubeconfigTarget(r, stack, builds);

    if (r.problems.length > 0) throw new ConfigError(r.problems);
    return {
        cluster,
        app: { ...app, ...(images === undefined ? {} : { images }) },
        ...(reviewAccess === undefined ? {} : { reviewAccess }),
        unpinnedImages: r.unpinnedImages,
    };
}

/**
 * A tier's image as the stack names it, else `fallback`; none at all ("") means the one this program
 * builds, which the Args then leave out.
 */
function tierImage(
    r: Reader,
    key: "frontendImage" | "backendImage" | "redisImage",
    fallback = "",
): { image?: ContainerImage } {
    const named = r.get(key);
    const value = named === "" ? fallback : named;
    if (value === "") return {};
    if (IMAGE_PATTERN.test(value) && !DIGEST_PATTERN.test(value)) r.unpinnedImages.push(`${PROJECT}:${key} ${value}`);
    return { image: referencedImage(value) };
}

function frontendArgs(r: Reader) {
    const profile = r.get("frontendProfile");
    const host = r.get("frontendHost");
    return {
        profile,
        // The tutorial's nginx bakes its own config: that profile runs the tutorial's image unless told otherwise.
        ...tierImage(r, "frontendImage", profile === "tutorial" ? TUTORIAL_FRONTEND_IMAGE : ""),
        replicas: r.get("frontendReplicas"),
        serviceType: r.get("frontendServiceType"),
        ...(host === "" ? {} : { host }),
    };
}

function backendArgs(r: Reader) {
    return {
        ...tierImage(r, "backendImage"),
        replicas: r.get("backendReplicas"),
        readinessPath: r.get("backendReadinessPath"),
    };
}

function redisArgs(r: Reader, target: Target, protect: boolean) {
    const storageClass = r.get("redisStorageClass");
    const hostPath = r.get("redisHostPath");
    if (hostPath !== "" && storageClass !== "") {
        r.problem(`${PROJECT}:redisHostPath and ${PROJECT}:redisStorageClass exclude each other: set one`);
    }
    // Read as text to tell "none" (empty) from a password, which is a secret from here on.
    const redisPassword = r.get("redisPassword");
    return {
        ...tierImage(r, "redisImage"),
        storageSize: r.get("redisStorageSize"),
        storageClass: storageClass === "" ? undefined : storageClass,
        accessMode: r.get("redisAccessMode"),
        ...(hostPath === "" ? {} : { hostPath }),
        protect,
        // In GKE (its own stack, review stacks) Redis shares nodes with other namespaces: never without a password.
        generatePassword: target !== "kubeconfig",
        ...(redisPassword === "" ? {} : { redisPassword: pulumi.secret(redisPassword) }),
    };
}

/** What a target adds to the app's Args: the cluster's, and what goes with that cluster. */
interface TargetConfig {
    readonly cluster: ClusterConfig;
    /** Where the images the app builds go, when config names the registry (target kubeconfig). */
    readonly images?: AppConfig["app"]["images"];
    readonly reviewAccess?: ReviewAccessArgs;
}

/** Any existing cluster through a kubeconfig context; config names its registry and review identity. */
function kubeconfigTarget(r: Reader, stack: string, builds: boolean): TargetConfig {
    const kubeContext = r.get("kubeContext");
    const kubeconfig = r.get("kubeconfig");
    const cluster = {
        target: "kubeconfig",
        kubeContext,
        kubeconfig: kubeconfig === "" ? undefined : kubeconfig,
    } as const;
    const registry = r.get("imageRegistry");
    const images = builds ? { registry, insecure: plainHttpRegistry(registry) } : undefined;
    if (!r.get("reviewStacks")) return { cluster, images };
    // The identity's kubeconfig names the same API server as the stack's own context.
    const server = kubeconfigTexts(cluster.kubeconfig)
        .map((text) => contextServer(text, kubeContext))
        .find((s) => s !== undefined);
    if (server === undefined) {
        r.problem(
            `${PROJECT}:reviewStacks needs the API server of ${PROJECT}:kubeContext "${kubeContext}", ` +
                `which no kubeconfig read (${PROJECT}:kubeconfig, $KUBECONFIG or ~/.kube/config) has`,
        );
    }
    return {
        cluster,
        images,
        reviewAccess: { instance: stack, identity: { serviceAccount: REVIEW_SERVICE_ACCOUNT }, server },
    };
}

/** The cluster another stack owns: this stack is a namespace there, so nothing about a cluster applies. */
function stackTarget(r: Reader, stack: string, protect: boolean): TargetConfig {
    const clusterStack = r.get("clusterStack");
    if (!CLUSTER_STACK_PATTERN.test(clusterStack)) {
        r.fail(
            "clusterStack",
            "a fully qualified stack name <org>/<project>/<stack>, such as organization/three-tier-app/gke " +
                "(required when target is stack)",
            clusterStack,
        );
    } else if (clusterStack.endsWith(`/${PROJECT}/${stack}`)) {
        r.fail("clusterStack", "another stack than this one, which owns the cluster", clusterStack);
    }
    for (const key of CLUSTER_KEYS.filter((k) => r.isSet(k))) {
        r.problem(
            `${PROJECT}:${key} does not apply when target is stack (the cluster is ${PROJECT}:clusterStack's): ` +
                `remove it (got "${r.text(key)}")`,
        );
    }
    if (r.isSet("redisHostPath")) {
        r.problem(
            `${PROJECT}:redisHostPath must be empty when target is stack: a PersistentVolume is cluster-level, ` +
                `and the cluster is ${PROJECT}:clusterStack's`,
        );
    }
    // Review stacks are this target: a namespace in a shared cluster must go with `pulumi destroy`.
    if (protect) {
        r.problem(
            `${PROJECT}:protect must be false when target is stack: the stack is a namespace in a cluster ` +
                `another stack owns and protects (${PROJECT}:clusterStack)`,
        );
    }
    return { cluster: { target: "stack", clusterStack } };
}

/** A GKE cluster this program provisions, Redis on its own disk, images in its own repository. */
function gkeTarget(r: Reader, stack: string, redis: { storageSize: string; protect: boolean }): TargetConfig {
    refuseOffGke(r);
    const project = r.text("gcp:project") ?? "";
    if (!GCP_PROJECT_PATTERN.test(project)) {
        r.fail("gcp:project", "a Google Cloud project id (required when target is gke)", project);
    }
    const nodeServiceAccount = r.get("gkeNodeServiceAccount");
    const nodeCounts = gkeNodeCounts(r);
    const location = r.get("gkeLocation");
    const mode = r.get("gkeMode");
    if (mode === "autopilot" && regionOf(location) !== location) {
        r.fail("gkeLocation", `a region such as ${regionOf(location)} when ${PROJECT}:gkeMode is autopilot`, location);
    }
    const databaseEncryptionKey = gkeDatabaseEncryptionKey(r, location);
    const dataZone = gkeDataZone(r, location);
    const reviewServiceAccount = r.get("gkeReviewServiceAccount");
    const ipEndpoint = r.get("gkeIpEndpoint");
    const authorizedNetworks = r.get("gkeAuthorizedNetworks");
    if (!ipEndpoint && authorizedNetworks.length > 0) {
        r.fail(
            "gkeAuthorizedNetworks",
            `empty unless ${PROJECT}:gkeIpEndpoint is true: authorized networks limit the control plane's IP ` +
                "endpoint; its DNS endpoint admits callers by IAM",
            r.text("gkeAuthorizedNetworks") ?? "",
        );
    }
    const cluster = {
        target: "gke",
        project,
        stack,
        nodeServiceAccount,
        ...(reviewServiceAccount === "" ? {} : { reviewServiceAccount }),
        location,
        mode,
        databaseEncryptionKey,
        dataDisk: { sizeGb: diskSizeGb(redis.storageSize), ...(dataZone === "" ? {} : { zone: dataZone }) },
        machineType: r.get("gkeMachineType"),
        ...nodeCounts,
        releaseChannel: r.get("gkeReleaseChannel"),
        privateNodes: r.get("gkePrivateNodes"),
        ipEndpoint,
        authorizedNetworks,
        protect: redis.protect,
    } as const;
    if (reviewServiceAccount === "") return { cluster };
    // GKE names an IAM identity by its email in Kubernetes: RBAC and admission take it as a user.
    return {
        cluster,
        reviewAccess: { instance: stack, identity: { user: reviewServiceAccount }, dedicatedNodes: true },
    };
}

/** The settings gke has its own way of doing: its own registry, its own disk, its own review identity. */
function refuseOffGke(r: Reader): void {
    if (r.isSet("imageRegistry")) {
        r.problem(
            `${PROJECT}:imageRegistry does not apply when target is gke (images go to the Artifact Registry ` +
                `repository the stack creates): remove it (got "${r.text("imageRegistry")}")`,
        );
    }
    if (r.isSet("redisHostPath")) {
        r.problem(`${PROJECT}:redisHostPath must be empty when target is gke: a node's directory goes with the node`);
    }
    if (r.isSet("redisStorageClass")) {
        r.problem(
            `${PROJECT}:redisStorageClass must be empty when target is gke: Redis is on the program's own ` +
                "pd-balanced disk (gkeDataZone)",
        );
    }
    if (r.get("reviewStacks")) {
        r.problem(
            `${PROJECT}:reviewStacks applies to target kubeconfig; on gke, review stacks are on when ` +
                `${PROJECT}:gkeReviewServiceAccount names their identity`,
        );
    }
}

function gkeNodeCounts(r: Reader): { nodeCount: number; minNodeCount: number; maxNodeCount: number } {
    const minNodeCount = r.get("gkeMinNodeCount");
    const maxNodeCount = r.get("gkeMaxNodeCount");
    const nodeCount = r.get("gkeNodeCount");
    if (minNodeCount > maxNodeCount || nodeCount < minNodeCount || nodeCount > maxNodeCount) {
        r.problem(
            `${PROJECT}:gkeNodeCount must lie within ${PROJECT}:gkeMinNodeCount..${PROJECT}:gkeMaxNodeCount ` +
                `(got ${nodeCount} within ${minNodeCount}..${maxNodeCount})`,
        );
    }
    return { nodeCount, minNodeCount, maxNodeCount };
}

/**
 * The Secrets' key, in the cluster's region as GKE asks: reading a Secret then never waits on a Cloud KMS
 * in another failure domain. (A malformed location has its own message.)
 */
function gkeDatabaseEncryptionKey(r: Reader, location: string): string {
    const key = r.get("gkeDatabaseEncryptionKey");
    const keyLocation = KMS_CRYPTO_KEY_PATTERN.exec(key)?.[1];
    if (keyLocation !== undefined && GCP_LOCATION_PATTERN.test(location) && keyLocation !== regionOf(location)) {
        r.fail(
            "gkeDatabaseEncryptionKey",
            `a Cloud KMS key in ${regionOf(location)}, the region of ${PROJECT}:gkeLocation`,
            key,
        );
    }
    return key;
}

/** The Redis disk's zone: the cluster's own (empty) for a zonal cluster, one of its zones for a regional one. */
function gkeDataZone(r: Reader, location: string): string {
    const dataZone = r.get("gkeDataZone");
    const regional = regionOf(location) === location;
    if (
        dataZone === ""
            ? regional
            : !GCP_LOCATION_PATTERN.test(dataZone) ||
              regionOf(dataZone) === dataZone ||
              (regional ? regionOf(dataZone) !== location : dataZone !== location)
    ) {
        r.fail(
            "gkeDataZone",
            regional
                ? `a zone of ${location} (the Redis disk's; required for a regional cluster)`
                : `empty or ${location}, the cluster's zone`,
            dataZone,
        );
    }
    return dataZone;
}

/** Reads this project's keys (and gcp:project) from the stack and validates them. */
export function loadConfig(): AppConfig {
    const config = new pulumi.Config(PROJECT);
    const raw: Record<string, string | undefined> = {};
    for (const key of new Set([...Object.keys(CONFIG_KEYS), ...RETIRED_SETTINGS.map((r) => r.key)])) {
        raw[key] = config.get(key);
    }
    raw["gcp:project"] = new pulumi.Config("gcp").get("project");
    const parsed = parseConfig(raw, pulumi.getStack());
    // A warning in preview's diagnostics: nothing waits for it to be delivered.
    for (const image of parsed.unpinnedImages) {
        void pulumi.log.warn(
            `${image} is a tag, not a digest: not pinned, so a push to that tag changes what runs without a diff`,
        );
    }
    return parsed;
}
