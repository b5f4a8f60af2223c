// GKE cluster settings: protected consistently with what the stack is for, Workload Identity on, no
// legacy ABAC, no basic auth.
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

/** What the stack is for, from the policy config's stack-name patterns. */
export interface StackRoles {
    /** Stacks meant to be torn down with `pulumi destroy` (review and test stacks). */
    readonly destroyable: readonly string[];
    /** Stacks whose cluster and data must survive a mistaken replace or destroy. */
    readonly longLived: readonly string[];
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
    ];
}
