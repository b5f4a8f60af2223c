// A stack that deploys into a cluster another stack owns (target stack: review stacks in gke's cluster,
// found through a StackReference) is a guest there: it creates its namespace and what lives in it, no
// cloud resource and nothing cluster-level, and protects nothing, so that `pulumi destroy` removes all of
// it and the cluster stays the other stack's. A stack rule, since what marks a guest is another resource.
import { read } from "./known";
import { ObjectMeta } from "./kubernetes";

/** What the program registers to read another stack's outputs; StackCluster is the component around it. */
const GUEST_MARKERS: readonly string[] = ["pulumi:pulumi:StackReference", "three-tier-app:index:StackCluster"];
const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";

/** A resource of the stack as validateStack sees it, with its name and options. */
export interface NamedStackResource {
    readonly type: string;
    readonly name: string;
    readonly props: object;
    /** Absent where a test hands the policy bare resources. */
    readonly opts?: { readonly protect?: boolean };
}

/** Whether a stack deploys into another stack's cluster: it reads that stack through a StackReference. */
export function isGuestStack(resources: readonly { readonly type: string }[]): boolean {
    return resources.some((r) => GUEST_MARKERS.includes(r.type));
}

export function sharedClusterViolations(resources: readonly NamedStackResource[]): string[] {
    if (!isGuestStack(resources)) return [];
    const guest = "in a stack that deploys into another stack's cluster (a StackReference)";
    const namespaces = resources.filter((r) => r.type === NAMESPACE_TYPE);
    return [
        ...resources
            .filter((r) => r.type.startsWith("gcp:"))
            .map((r) => `${r.type} ${r.name} ${guest}: cloud resources are the cluster stack's; create none here`),
        ...resources
            .filter((r) => r.type.startsWith("kubernetes:") && r.type !== NAMESPACE_TYPE)
            // A namespace unknown during preview (the Namespace's output) is set, so it passes.
            .filter((r) => read(() => (r.props as { metadata?: ObjectMeta }).metadata?.namespace) === undefined)
            .map(
                (r) =>
                    `${r.type} ${r.name} is cluster-level ${guest}: only the stack's namespace and what is in it ` +
                    "may be created; give it a namespace or leave it to the cluster's stack",
            ),
        ...(namespaces.length > 1
            ? [
                  `${namespaces.length} Namespaces ${guest} (${namespaces.map((n) => n.name).join(", ")}): ` +
                      "a guest stack has one",
              ]
            : []),
        ...resources
            .filter((r) => r.opts?.protect === true)
            .map(
                (r) =>
                    `${r.type} ${r.name} is protected ${guest}: pulumi destroy must remove the whole namespace; ` +
                    "protection belongs to the cluster's stack",
            ),
    ];
}
