// GKE cluster settings: protected consistently with what the stack is for, Workload Identity on, no
// legacy ABAC, no basic auth, private nodes behind a limited IP endpoint or none; nodes run as a
// dedicated account; Secrets encrypted with a Cloud KMS key, upgrades in a maintenance window, and the
// cluster and its nodes labelled with what they are part of and the stack.
import { read, whenKnown } from "./known";
import { stackMatches } from "./stacks";

export const CLUSTER_TYPE = "gcp:container/cluster:Cluster";
export const NODE_POOL_TYPE = "gcp:container/nodePool:NodePool";

export interface ClusterProps {
    /** The provider's default is true. */
    readonly deletionProtection?: boolean;
    readonly workloadIdentityConfig?: { readonly workloadPool?: string };
    readonly enableLegacyAbac?: boolean;
    readonly masterAuth?: { readonly username?: string; readonly password?: string };
    readonly enableAutopilot?: boolean;
    readonly privateClusterConfig?: { readonly enablePrivateNodes?: boolean };
    /** The provider's default for ipEndpointsConfig.enabled is true. */
    readonly controlPlaneEndpointsConfig?: { readonly ipEndpointsConfig?: { readonly enabled?: boolean } };
    readonly masterAuthorizedNetworksConfig?: { readonly cidrBlocks?: readonly { readonly cidrBlock?: string }[] };
    readonly clusterAutoscaling?: { readonly autoProvisioningDefaults?: { readonly serviceAccount?: string } };
    readonly databaseEncryption?: { readonly state?: string; readonly keyName?: string };
    /** A Standard cluster's default node pool, which runs until removeDefaultNodePool deletes it. */
    readonly nodeConfig?: { readonly serviceAccount?: string };
    readonly maintenancePolicy?: {
        readonly dailyMaintenanceWindow?: object;
        readonly recurringWindow?: object;
        readonly recurringMaintenanceWindow?: object;
    };
    readonly resourceLabels?: Readonly<Record<string, string>>;
}

export interface NodePoolProps {
    readonly nodeConfig?: {
        readonly serviceAccount?: string;
        readonly workloadMetadataConfig?: { readonly mode?: string };
        readonly resourceLabels?: Readonly<Record<string, string>>;
    };
}

/**
 * GCP labels every cluster and node pool carries, non-empty: what it is part of and the stack that made it,
 * which billing reports and inventories group by (the program's gcpLabels).
 */
export const REQUIRED_LABELS: readonly string[] = ["part-of", "stack"];

function missingLabels(labels: Readonly<Record<string, string>> | undefined): string[] {
    return REQUIRED_LABELS.filter((key) => (labels?.[key] ?? "") === "");
}

/** What the stack is for, from the policy config's stack-name patterns. */
export interface StackRoles {
    /** Stacks meant to be torn down with `pulumi destroy` (review and test stacks). */
    readonly destroyable: readonly string[];
    /** Stacks whose cluster and data must survive a mistaken replace or destroy. */
    readonly longLived: readonly string[];
    /** Stacks whose private nodes may sit behind a control-plane endpoint open to every address. */
    readonly openEndpoint?: readonly string[];
}

/**
 * Protection must fit the stack: off on destroyable stacks (or `pulumi destroy` fails), on on long-lived
 * ones; anywhere, GCP's deletionProtection and Pulumi's `protect` (`protect`; undefined when the engine
 * did not say) agree, since one without the other lets `pulumi destroy` delete the app and the node
 * pool before it fails at the cluster, or lets the cluster be deleted outside Pulumi.
 */
function protectionViolations(
    deletionProtection: boolean,
    protect: boolean | undefined,
    stack: string,
    roles: StackRoles,
): string[] {
    const destroyable = roles.destroyable.find((p) => stackMatches(stack, p));
    const longLived = roles.longLived.find((p) => stackMatches(stack, p));
    if (destroyable !== undefined && longLived !== undefined) {
        return [
            `stack "${stack}" matches both destroyableStacks ("${destroyable}") and longLivedStacks ("${longLived}"): ` +
                "remove it from one of them in the policy config",
        ];
    }
    if (destroyable !== undefined) {
        const role = `on stack "${stack}", a destroyable stack (matches "${destroyable}")`;
        return [
            ...(deletionProtection
                ? [`deletionProtection is true ${role}: set it false so that pulumi destroy can delete the cluster`]
                : []),
            ...(protect === true
                ? [`the cluster is protected (Pulumi protect) ${role}: pulumi destroy would refuse it`]
                : []),
        ];
    }
    if (longLived !== undefined) {
        const role = `on stack "${stack}", a long-lived stack (matches "${longLived}")`;
        return [
            ...(deletionProtection ? [] : [`deletionProtection is false ${role}: set it true`]),
            ...(protect === false ? [`the cluster is not protected (Pulumi protect) ${role}: protect it`] : []),
        ];
    }
    if (protect === undefined || protect === deletionProtection) return [];
    return [
        deletionProtection
            ? "deletionProtection is true but Pulumi protect is off: pulumi destroy would delete the app and the " +
              "node pool, then fail at the cluster; protect both or neither"
            : "Pulumi protect is on but deletionProtection is false: the cluster can still be deleted outside " +
              "Pulumi; protect both or neither",
    ];
}

export function gkeClusterViolations(
    props: ClusterProps,
    protect: boolean | undefined,
    stack: string,
    roles: StackRoles,
): string[] {
    return [
        ...whenKnown(() => protectionViolations(props.deletionProtection ?? true, protect, stack, roles)),
        ...whenKnown(() =>
            (props.workloadIdentityConfig?.workloadPool ?? "") === ""
                ? ['Workload Identity is off: set workloadIdentityConfig.workloadPool to "<project>.svc.id.goog"']
                : [],
        ),
        ...whenKnown(() =>
            props.enableLegacyAbac === true ? ["enableLegacyAbac is true: authorize with RBAC only"] : [],
        ),
        ...whenKnown(() =>
            (props.masterAuth?.username ?? "") !== "" || (props.masterAuth?.password ?? "") !== ""
                ? ["masterAuth sets a username or password (basic auth): remove them"]
                : [],
        ),
        ...whenKnown(() =>
            props.privateClusterConfig?.enablePrivateNodes === true &&
            props.controlPlaneEndpointsConfig?.ipEndpointsConfig?.enabled !== false &&
            (props.masterAuthorizedNetworksConfig?.cidrBlocks ?? []).length === 0 &&
            !(roles.openEndpoint ?? []).some((p) => stackMatches(stack, p))
                ? [
                      "private nodes behind a control-plane IP endpoint open to every address: list the networks " +
                          "that may reach it in masterAuthorizedNetworksConfig.cidrBlocks (config " +
                          "gkeAuthorizedNetworks), turn it off (controlPlaneEndpointsConfig.ipEndpointsConfig.enabled " +
                          "false, config gkeIpEndpoint false: the DNS endpoint admits by IAM), or add the stack to " +
                          "the policy config openEndpointStacks",
                  ]
                : [],
        ),
        ...whenKnown(() =>
            props.enableAutopilot === true &&
            isDefaultAccount(props.clusterAutoscaling?.autoProvisioningDefaults?.serviceAccount)
                ? [
                      "Autopilot nodes run as the Compute Engine default service account (Editor on the project): " +
                          "set clusterAutoscaling.autoProvisioningDefaults.serviceAccount to a dedicated account",
                  ]
                : [],
        ),
    ];
}

/**
 * What a cluster must have whatever its stack: Secrets encrypted with a Cloud KMS key, even its temporary
 * default node pool (Standard) on a dedicated account, a maintenance window, and the required labels; a
 * node pool, the required labels on its VMs.
 */
export function gkeHardeningViolations(type: string, props: unknown): string[] {
    if (type === NODE_POOL_TYPE) {
        return whenKnown(() => {
            const missing = missingLabels((props as NodePoolProps).nodeConfig?.resourceLabels);
            return missing.length > 0
                ? [
                      `nodeConfig.resourceLabels lack ${missing.join(", ")}: label the node VMs with what they are ` +
                          "part of and their stack",
                  ]
                : [];
        });
    }
    if (type !== CLUSTER_TYPE) return [];
    return clusterHardeningViolations(props as ClusterProps);
}

function clusterHardeningViolations(props: ClusterProps): string[] {
    return [
        ...whenKnown(() =>
            props.databaseEncryption?.state !== "ENCRYPTED" || (props.databaseEncryption.keyName ?? "") === ""
                ? [
                      "Secrets are not encrypted at the application layer: set databaseEncryption to state " +
                          "ENCRYPTED with a Cloud KMS keyName (config gkeDatabaseEncryptionKey)",
                  ]
                : [],
        ),
        ...whenKnown(() =>
            props.enableAutopilot !== true && isDefaultAccount(props.nodeConfig?.serviceAccount)
                ? [
                      "the default node pool a Standard cluster starts with runs as the Compute Engine default " +
                          "service account (Editor on the project) until it is removed: set nodeConfig.serviceAccount " +
                          "to the nodes' account",
                  ]
                : [],
        ),
        ...whenKnown(() => {
            const policy = props.maintenancePolicy;
            const window =
                policy?.recurringWindow ?? policy?.dailyMaintenanceWindow ?? policy?.recurringMaintenanceWindow;
            return window === undefined
                ? [
                      "no maintenance window: GKE may upgrade the control plane and recreate nodes at any hour; set " +
                          "maintenancePolicy.recurringWindow",
                  ]
                : [];
        }),
        ...whenKnown(() => {
            const missing = missingLabels(props.resourceLabels);
            return missing.length > 0
                ? [`resourceLabels lack ${missing.join(", ")}: label the cluster with what it is part of and its stack`]
                : [];
        }),
    ];
}

/** No account, or "default": the Compute Engine default service account. */
function isDefaultAccount(account: string | undefined): boolean {
    return (account ?? "") === "" || account === "default";
}

/**
 * Node pools of the stack: each runs as a dedicated account and hides the node's metadata from pods;
 * none exists beside an Autopilot cluster (Autopilot makes its own nodes; a project's stack holds one cluster).
 */
export function gkeNodeViolations(resources: readonly { type: string; props: unknown }[]): string[] {
    const pools = resources.filter((r) => r.type === NODE_POOL_TYPE);
    const autopilot = resources.some(
        (r) => r.type === CLUSTER_TYPE && read(() => (r.props as ClusterProps).enableAutopilot) === true,
    );
    return [
        ...(autopilot && pools.length > 0
            ? [`an Autopilot cluster with ${pools.length} node pool(s): Autopilot makes its own nodes, remove them`]
            : []),
        ...pools.flatMap((pool) => {
            const config = (pool.props as NodePoolProps).nodeConfig;
            return [
                ...whenKnown(() =>
                    isDefaultAccount(config?.serviceAccount)
                        ? [
                              "a node pool runs as the Compute Engine default service account (Editor on the " +
                                  "project): set nodeConfig.serviceAccount to a dedicated account",
                          ]
                        : [],
                ),
                ...whenKnown(() =>
                    config?.workloadMetadataConfig?.mode !== "GKE_METADATA"
                        ? [
                              "a node pool shows pods the node's own credentials: set " +
                                  "nodeConfig.workloadMetadataConfig.mode to GKE_METADATA",
                          ]
                        : [],
                ),
            ];
        }),
    ];
}
