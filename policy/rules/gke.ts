// GKE cluster settings: destroyable exactly when the stack is meant to be destroyed, Workload Identity
// on, no legacy ABAC, no basic auth.
import { whenKnown } from "./known";
import { stackMatches } from "./stacks";

export const CLUSTER_TYPE = "gcp:container/cluster:Cluster";

export interface ClusterProps {
    /** The provider's default is true. */
    readonly deletionProtection?: boolean;
    readonly workloadIdentityConfig?: { readonly workloadPool?: string };
    readonly enableLegacyAbac?: boolean;
    readonly masterAuth?: { readonly username?: string; readonly password?: string };
}

/**
 * `destroyable`: stack-name patterns of the stacks meant to be destroyed (review and test stacks, the
 * tutorial's clusters). There deletionProtection must be false so `pulumi destroy` works; everywhere
 * else it must be true.
 */
export function gkeClusterViolations(props: ClusterProps, stack: string, destroyable: readonly string[]): string[] {
    const patterns = destroyable.map((p) => `"${p}"`).join(", ");
    return [
        ...whenKnown(() => {
            const protectedCluster = props.deletionProtection ?? true;
            const match = destroyable.find((p) => stackMatches(stack, p));
            if (!protectedCluster && match === undefined) {
                return [
                    `deletionProtection is false on stack "${stack}", which matches none of the destroyable stacks (${patterns}): ` +
                        "set deletionProtection: true, or add the stack to the policy config destroyableStacks",
                ];
            }
            if (protectedCluster && match !== undefined) {
                return [
                    `deletionProtection is true on stack "${stack}", a destroyable stack (matches "${match}"): ` +
                        "set deletionProtection: false so that pulumi destroy can delete the cluster",
                ];
            }
            return [];
        }),
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
    ];
}
