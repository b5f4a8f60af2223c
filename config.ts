// Reads and validates the whole stack configuration in one place and builds the components' Args from
// it. index.ts calls loadConfig() before it registers any resource, so a bad value stops `pulumi preview`
// with every problem listed at once. The defaults are the components' own; Pulumi.yaml declares the same
// values for `pulumi config` (a unit test keeps the two equal).
import { isIP } from "node:net";
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
import { PROJECT } from "./project";
import { ContainerImage, referencedImage, SERVICE_TYPES } from "./components/workload";

const TARGETS = ["kubeconfig", "gke", "stack"] as const;
type Target = (typeof TARGETS)[number];

/** The review identity on target kubeconfig: a ServiceAccount, as clusters without an outside IAM have. */
const REVIEW_SERVICE_ACCOUNT = "reviewer";

/** Where target kubeconfig's images go by default: minikube's registry addon, the default context's. */
const DEFAULT_IMAGE_REGISTRY = "localhost:5000/three-tier-app";

/**
 * Every key's default: the value of the component that applies it, or "" for "not set". Only `target`
 * and imageRegistry are the config's own.
 */
export const DEFAULTS = {
    target: "kubeconfig" as Target,
    namespace: DEFAULT_NAMESPACE,
    kubeContext: DEFAULT_KUBE_CONTEXT,
    kubeconfig: "",
    clusterStack: "",
    frontendProfile: FRONTEND_DEFAULTS.profile,
    frontendImage: "",
    frontendReplicas: FRONTEND_DEFAULTS.replicas,
    frontendServiceType: FRONTEND_DEFAULTS.serviceType,
    frontendHost: "",
    backendImage: "",
    backendReplicas: BACKEND_DEFAULTS.replicas,
    backendReadinessPath: BACKEND_DEFAULTS.readinessPath,
    redisImage: "",
    imageRegistry: DEFAULT_IMAGE_REGISTRY,
    redisStorageSize: REDIS_DEFAULTS.storageSize,
    redisStorageClass: "",
    redisAccessMode: REDIS_DEFAULTS.accessMode,
    redisHostPath: "",
    /** A secret: AppConfig holds it as a secret Output. */
    redisPassword: "",
    protect: GKE_DEFAULTS.protect,
    gkeLocation: GKE_DEFAULTS.location,
    gkeMode: GKE_DEFAULTS.mode,
    gkeDataZone: "",
    gkeMachineType: GKE_DEFAULTS.machineType,
    gkeNodeCount: GKE_DEFAULTS.nodeCount,
    gkeMinNodeCount: GKE_DEFAULTS.minNodeCount,
    gkeMaxNodeCount: GKE_DEFAULTS.maxNodeCount,
    gkeReleaseChannel: GKE_DEFAULTS.releaseChannel,
    gkePrivateNodes: GKE_DEFAULTS.privateNodes,
    gkeIpEndpoint: GKE_DEFAULTS.ipEndpoint,
    gkeAuthorizedNetworks: GKE_DEFAULTS.authorizedNetworks.join(","),
    gkeNodeServiceAccount: "",
    gkeDatabaseEncryptionKey: "",
    gkeReviewServiceAccount: "",
    reviewStacks: false,
};

export type ConfigKey = keyof typeof DEFAULTS;
export const CONFIG_KEYS = Object.keys(DEFAULTS) as ConfigKey[];
/** The keys that describe a cluster: with target stack the cluster is clusterStack's, so they must keep their defaults. */
const CLUSTER_KEYS = CONFIG_KEYS.filter(
    (key) =>
        key.startsWith("gke") ||
        key === "kubeContext" ||
        key === "kubeconfig" ||
        key === "imageRegistry" ||
        key === "reviewStacks",
);

/** Upper bound on replicas: well above what this app needs, low enough to catch a typo like 200. */
const MAX_REPLICAS = 20;
const MAX_GKE_NODES = 100;
/** GKE's limit on authorized networks of a public endpoint. */
const MAX_AUTHORIZED_NETWORKS = 50;

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

/**
 * Validates raw values of stack `stack`, applies defaults and builds the Args. Throws one ConfigError
 * listing every problem.
 */
export function parseConfig(raw: RawConfig, stack: string): AppConfig {
    const problems: string[] = [];
    if (!LABEL_VALUE_PATTERN.test(stack)) {
        problems.push(
            "the stack name must be a Kubernetes label value (it becomes app.kubernetes.io/instance): at most 63 " +
                `letters, digits, '-', '_' or '.', starting and ending with a letter or digit (got "${stack}")`,
        );
    }
    const fail = (key: string, allowed: string, got: string) =>
        problems.push(`${key.includes(":") ? key : `${PROJECT}:${key}`} must be ${allowed} (got "${got}")`);
    // A setting is the retired one when the key is set and, for a retired value, holds that value.
    const isRetired = (r: (typeof RETIRED_SETTINGS)[number], value: string | undefined) =>
        value !== undefined && (!("value" in r) || r.value === value);
    const retired = (key: string, value: string | undefined) =>
        RETIRED_SETTINGS.some((r) => r.key === key && isRetired(r, value));
    for (const r of RETIRED_SETTINGS) {
        if (isRetired(r, raw[r.key])) {
            const setting = "value" in r ? `${r.key} ${r.value}` : r.key;
            problems.push(`${PROJECT}:${setting} is replaced by ${PROJECT}:${r.successor}: run ${r.fix}`);
        }
    }

    const text = (key: ConfigKey, pattern: RegExp, allowed: string): string => {
        const value = raw[key] ?? String(DEFAULTS[key]);
        if (!pattern.test(value)) fail(key, allowed, value);
        return value;
    };
    const oneOf = <T extends string>(key: ConfigKey, allowed: readonly T[]): T => {
        const value = raw[key] ?? String(DEFAULTS[key]);
        // A retired value has its own message above.
        if (!(allowed as readonly string[]).includes(value) && !retired(key, value)) {
            fail(key, `one of ${allowed.join(", ")}`, value);
        }
        return value as T;
    };
    const wholeNumber = (key: ConfigKey, min: number, max: number): number => {
        const value = raw[key] ?? String(DEFAULTS[key]);
        const n = /^-?[0-9]+$/.test(value.trim()) ? Number(value) : NaN;
        if (!Number.isSafeInteger(n) || n < min || n > max) {
            fail(key, `a whole number from ${min} to ${max}`, value);
        }
        return n;
    };
    const bool = (key: ConfigKey): boolean => {
        const value = raw[key] ?? String(DEFAULTS[key]);
        if (value !== "true" && value !== "false") fail(key, "true or false", value);
        return value === "true";
    };
    const cidrList = (key: ConfigKey): string[] => {
        const value = raw[key] ?? String(DEFAULTS[key]);
        const cidrs = value
            .split(",")
            .map((c) => c.trim())
            .filter((c) => c !== "");
        if (cidrs.length > MAX_AUTHORIZED_NETWORKS || !cidrs.every(isIPv4Cidr)) {
            fail(
                key,
                `empty, or up to ${MAX_AUTHORIZED_NETWORKS} comma-separated IPv4 CIDRs such as 203.0.113.0/24 ` +
                    "with no bits set after the prefix",
                value,
            );
        }
        return cidrs;
    };
    const unpinnedImages: string[] = [];
    /**
     * A tier's image as the stack names it, else `fallback`; none at all ("") means the one this program
     * builds, which the Args then leave out.
     */
    const image = (key: ConfigKey, fallback = ""): { image?: ContainerImage } => {
        const named = raw[key] ?? String(DEFAULTS[key]);
        const value = named === "" ? fallback : named;
        if (value === "") return {};
        if (!IMAGE_PATTERN.test(value)) {
            fail(
                key,
                "empty (the image this program builds) or an image reference like registry/name:tag or name@sha256:<digest>",
                value,
            );
        } else if (!DIGEST_PATTERN.test(value)) {
            unpinnedImages.push(`${PROJECT}:${key} ${value}`);
        }
        return { image: referencedImage(value) };
    };

    const target = oneOf("target", TARGETS);
    const namespace = text(
        "namespace",
        DNS_LABEL_PATTERN,
        "a DNS label: lowercase letters, digits and '-', at most 63",
    );

    const frontendHost = raw.frontendHost ?? DEFAULTS.frontendHost;
    if (frontendHost !== "" && isIP(frontendHost) === 0 && !DNS_SUBDOMAIN_PATTERN.test(frontendHost)) {
        fail("frontendHost", "empty, or the IP address or DNS name of a node", frontendHost);
    }
    const profile = oneOf("frontendProfile", FRONTEND_PROFILES);
    const frontend = {
        profile,
        // The tutorial's nginx bakes its own config: that profile runs the tutorial's image unless told otherwise.
        ...image("frontendImage", profile === "tutorial" ? TUTORIAL_FRONTEND_IMAGE : ""),
        replicas: wholeNumber("frontendReplicas", 1, MAX_REPLICAS),
        serviceType: oneOf("frontendServiceType", SERVICE_TYPES),
        ...(frontendHost === "" ? {} : { host: frontendHost }),
    };
    const backend = {
        ...image("backendImage"),
        replicas: wholeNumber("backendReplicas", 1, MAX_REPLICAS),
        readinessPath: text("backendReadinessPath", HTTP_PATH_PATTERN, "an absolute HTTP path such as /healthz"),
    };
    // One setting for every long-lived piece: the cluster, its node pool and the Redis claim.
    const protect = bool("protect");
    const storageClass = raw.redisStorageClass ?? DEFAULTS.redisStorageClass;
    if (storageClass !== "" && !DNS_SUBDOMAIN_PATTERN.test(storageClass)) {
        fail("redisStorageClass", "empty (the cluster default) or a StorageClass name", storageClass);
    }
    const hostPath = raw.redisHostPath ?? DEFAULTS.redisHostPath;
    if (hostPath !== "" && !NODE_PATH_PATTERN.test(hostPath)) {
        fail("redisHostPath", "empty, or an absolute directory path without . or .. parts", hostPath);
    }
    if (hostPath !== "" && storageClass !== "") {
        problems.push(`${PROJECT}:redisHostPath and ${PROJECT}:redisStorageClass exclude each other: set one`);
    }
    const noHostPath: Partial<Record<Target, string>> = {
        gke: "a node's directory goes with the node",
        stack: `a PersistentVolume is cluster-level, and the cluster is ${PROJECT}:clusterStack's`,
    };
    if (hostPath !== "" && noHostPath[target] !== undefined) {
        problems.push(`${PROJECT}:redisHostPath must be empty when target is ${target}: ${noHostPath[target]}`);
    }
    if (storageClass !== "" && target === "gke") {
        problems.push(
            `${PROJECT}:redisStorageClass must be empty when target is gke: Redis is on the program's own ` +
                "pd-balanced disk (gkeDataZone)",
        );
    }
    // Read as text to tell "none" (empty) from a password, which is a secret from here on.
    const redisPassword = raw.redisPassword ?? DEFAULTS.redisPassword;
    const redis = {
        ...image("redisImage"),
        storageSize: text("redisStorageSize", QUANTITY_PATTERN, "a positive storage quantity such as 10Gi or 512Mi"),
        storageClass: storageClass === "" ? undefined : storageClass,
        accessMode: oneOf("redisAccessMode", ACCESS_MODES),
        ...(hostPath === "" ? {} : { hostPath }),
        protect,
        // In GKE (its own stack, review stacks) Redis shares nodes with other namespaces: never without a password.
        generatePassword: target !== "kubeconfig",
        ...(redisPassword === "" ? {} : { redisPassword: pulumi.secret(redisPassword) }),
    };

    const imageRegistry = text(
        "imageRegistry",
        IMAGE_REGISTRY_PATTERN,
        "a repository prefix host[:port]/path such as localhost:5000/three-tier-app",
    );
    // On gke the program's own Artifact Registry repository; with target stack, clusterStack's (CLUSTER_KEYS).
    if (target === "gke" && imageRegistry !== DEFAULTS.imageRegistry) {
        problems.push(
            `${PROJECT}:imageRegistry does not apply when target is gke (images go to the Artifact Registry ` +
                `repository the stack creates): remove it (got "${imageRegistry}")`,
        );
    }
    const builds = [frontend.image, backend.image, redis.image].some((i) => i === undefined);
    const images =
        target === "kubeconfig" && builds
            ? { registry: imageRegistry, insecure: plainHttpRegistry(imageRegistry) }
            : undefined;

    const clusterStack = raw.clusterStack ?? DEFAULTS.clusterStack;
    if (target !== "stack" && clusterStack !== "") fail("clusterStack", "empty unless target is stack", clusterStack);

    const reviewStacks = bool("reviewStacks");
    let reviewAccess: ReviewAccessArgs | undefined;
    let cluster: ClusterConfig;
    if (target === "stack") {
        if (!CLUSTER_STACK_PATTERN.test(clusterStack)) {
            fail(
                "clusterStack",
                "a fully qualified stack name <org>/<project>/<stack>, such as organization/three-tier-app/gke " +
                    "(required when target is stack)",
                clusterStack,
            );
        } else if (clusterStack.endsWith(`/${PROJECT}/${stack}`)) {
            fail("clusterStack", "another stack than this one, which owns the cluster", clusterStack);
        }
        for (const key of CLUSTER_KEYS) {
            const value = raw[key] ?? String(DEFAULTS[key]);
            if (value !== String(DEFAULTS[key])) {
                problems.push(
                    `${PROJECT}:${key} does not apply when target is stack (the cluster is ${PROJECT}:clusterStack's): ` +
                        `remove it (got "${value}")`,
                );
            }
        }
        // Review stacks are this target: a namespace in a shared cluster must go with `pulumi destroy`.
        if (protect) {
            problems.push(
                `${PROJECT}:protect must be false when target is stack: the stack is a namespace in a cluster ` +
                    `another stack owns and protects (${PROJECT}:clusterStack)`,
            );
        }
        cluster = { target, clusterStack };
    } else if (target === "gke") {
        const project = raw["gcp:project"] ?? "";
        if (!GCP_PROJECT_PATTERN.test(project)) {
            fail("gcp:project", "a Google Cloud project id (required when target is gke)", project);
        }
        const nodeServiceAccount = text(
            "gkeNodeServiceAccount",
            SERVICE_ACCOUNT_EMAIL_PATTERN,
            "a service account email <id>@<project>.iam.gserviceaccount.com, the bootstrap stack's " +
                "nodeServiceAccount output (required when target is gke)",
        );
        const minNodeCount = wholeNumber("gkeMinNodeCount", 0, MAX_GKE_NODES);
        const maxNodeCount = wholeNumber("gkeMaxNodeCount", 1, MAX_GKE_NODES);
        const nodeCount = wholeNumber("gkeNodeCount", 1, MAX_GKE_NODES);
        if (minNodeCount > maxNodeCount || nodeCount < minNodeCount || nodeCount > maxNodeCount) {
            problems.push(
                `${PROJECT}:gkeNodeCount must lie within ${PROJECT}:gkeMinNodeCount..${PROJECT}:gkeMaxNodeCount ` +
                    `(got ${nodeCount} within ${minNodeCount}..${maxNodeCount})`,
            );
        }
        const location = text(
            "gkeLocation",
            GCP_LOCATION_PATTERN,
            "a GCP region or zone such as us-central1 or us-central1-a",
        );
        const mode = oneOf("gkeMode", GKE_MODES);
        if (mode === "autopilot" && regionOf(location) !== location) {
            fail(
                "gkeLocation",
                `a region such as ${regionOf(location)} when ${PROJECT}:gkeMode is autopilot`,
                location,
            );
        }
        const databaseEncryptionKey = text(
            "gkeDatabaseEncryptionKey",
            KMS_CRYPTO_KEY_PATTERN,
            "a Cloud KMS key projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>, the " +
                "bootstrap stack's gkeDatabaseEncryptionKey output (required when target is gke)",
        );
        // The key in the cluster's region, as GKE asks: reading a Secret then never waits on a Cloud KMS in
        // another failure domain. (A malformed location has its own message above.)
        const keyLocation = KMS_CRYPTO_KEY_PATTERN.exec(databaseEncryptionKey)?.[1];
        if (keyLocation !== undefined && GCP_LOCATION_PATTERN.test(location) && keyLocation !== regionOf(location)) {
            fail(
                "gkeDatabaseEncryptionKey",
                `a Cloud KMS key in ${regionOf(location)}, the region of ${PROJECT}:gkeLocation`,
                databaseEncryptionKey,
            );
        }
        const dataZone = raw.gkeDataZone ?? DEFAULTS.gkeDataZone;
        const regional = regionOf(location) === location;
        if (
            dataZone === ""
                ? regional
                : !GCP_LOCATION_PATTERN.test(dataZone) ||
                  regionOf(dataZone) === dataZone ||
                  (regional ? regionOf(dataZone) !== location : dataZone !== location)
        ) {
            fail(
                "gkeDataZone",
                regional
                    ? `a zone of ${location} (the Redis disk's; required for a regional cluster)`
                    : `empty or ${location}, the cluster's zone`,
                dataZone,
            );
        }
        const reviewServiceAccount = raw.gkeReviewServiceAccount ?? DEFAULTS.gkeReviewServiceAccount;
        if (reviewServiceAccount !== "" && !SERVICE_ACCOUNT_EMAIL_PATTERN.test(reviewServiceAccount)) {
            fail(
                "gkeReviewServiceAccount",
                "empty (no review stacks) or the email <id>@<project>.iam.gserviceaccount.com of the service " +
                    "account review stacks deploy as",
                reviewServiceAccount,
            );
        }
        if (reviewServiceAccount !== "") {
            // GKE names an IAM identity by its email in Kubernetes: RBAC and admission take it as a user.
            reviewAccess = { instance: stack, identity: { user: reviewServiceAccount }, dedicatedNodes: true };
        }
        if (reviewStacks) {
            problems.push(
                `${PROJECT}:reviewStacks applies to target kubeconfig; on gke, review stacks are on when ` +
                    `${PROJECT}:gkeReviewServiceAccount names their identity`,
            );
        }
        const ipEndpoint = bool("gkeIpEndpoint");
        const authorizedNetworks = cidrList("gkeAuthorizedNetworks");
        if (!ipEndpoint && authorizedNetworks.length > 0) {
            fail(
                "gkeAuthorizedNetworks",
                `empty unless ${PROJECT}:gkeIpEndpoint is true: authorized networks limit the control plane's IP ` +
                    "endpoint; its DNS endpoint admits callers by IAM",
                raw.gkeAuthorizedNetworks ?? DEFAULTS.gkeAuthorizedNetworks,
            );
        }
        cluster = {
            target,
            project,
            stack,
            nodeServiceAccount,
            ...(reviewServiceAccount === "" ? {} : { reviewServiceAccount }),
            location,
            mode,
            databaseEncryptionKey,
            dataDisk: {
                sizeGb: diskSizeGb(redis.storageSize),
                ...(dataZone === "" ? {} : { zone: dataZone }),
            },
            machineType: text("gkeMachineType", GKE_MACHINE_TYPE_PATTERN, "a machine type such as e2-standard-2"),
            nodeCount,
            minNodeCount,
            maxNodeCount,
            releaseChannel: oneOf("gkeReleaseChannel", RELEASE_CHANNELS),
            privateNodes: bool("gkePrivateNodes"),
            ipEndpoint,
            authorizedNetworks,
            protect,
        };
    } else {
        const kubeContext = text("kubeContext", /^\S+$/, "a kubeconfig context name");
        const kubeconfig = raw.kubeconfig ?? DEFAULTS.kubeconfig;
        cluster = { target, kubeContext, kubeconfig: kubeconfig === "" ? undefined : kubeconfig };
        if (reviewStacks) {
            // The identity's kubeconfig names the same API server as the stack's own context.
            const server = kubeconfigTexts(cluster.kubeconfig)
                .map((text) => contextServer(text, kubeContext))
                .find((s) => s !== undefined);
            if (server === undefined) {
                problems.push(
                    `${PROJECT}:reviewStacks needs the API server of ${PROJECT}:kubeContext "${kubeContext}", ` +
                        `which no kubeconfig read (${PROJECT}:kubeconfig, $KUBECONFIG or ~/.kube/config) has`,
                );
            }
            reviewAccess = { instance: stack, identity: { serviceAccount: REVIEW_SERVICE_ACCOUNT }, server };
        }
    }

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        cluster,
        app: { namespace, instance: stack, frontend, backend, redis, ...(images === undefined ? {} : { images }) },
        ...(reviewAccess === undefined ? {} : { reviewAccess }),
        unpinnedImages,
    };
}

/** Reads this project's keys (and gcp:project) from the stack and validates them. */
export function loadConfig(): AppConfig {
    const config = new pulumi.Config(PROJECT);
    const raw: Record<string, string | undefined> = {};
    for (const key of new Set([...CONFIG_KEYS, ...RETIRED_SETTINGS.map((r) => r.key)])) raw[key] = config.get(key);
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
