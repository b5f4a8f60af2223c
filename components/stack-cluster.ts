import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceAccess } from "./review-access";

/** The output of the cluster's stack that holds its kubeconfig: a gke stack exports GkeCluster.kubeconfig so. */
const KUBECONFIG_OUTPUT = "kubeconfig";
/** The output that names its image repository (GkeCluster.imageRegistry), which this stack pushes to too. */
const IMAGE_REGISTRY_OUTPUT = "imageRegistry";
/** The output that says how this stack's identity is given rights in its namespace (ReviewAccess). */
const NAMESPACE_ACCESS_OUTPUT = "namespaceAccess";

export interface StackClusterArgs {
    /**
     * The stack that owns the cluster, fully qualified: `<org>/<project>/<stack>` (on a DIY backend the org
     * is `organization`). Required.
     */
    readonly clusterStack: string;
}

/**
 * A cluster that another stack owns (the long-lived gke cluster), found through a StackReference to that
 * stack's `kubeconfig` output. It creates nothing in the cluster: what is deployed through its provider is
 * the caller's (the app's namespace and objects); the cluster and everything cluster-level stay the other
 * stack's.
 */
export class StackCluster extends pulumi.ComponentResource {
    public readonly provider: k8s.Provider;
    /** The cluster stack's image repository: this stack's images go there, where the nodes may pull them. */
    public readonly imageRegistry: pulumi.Output<string>;
    /** The cluster stack's ReviewAccess: this stack's identity may act only where it binds that role. */
    public readonly namespaceAccess: pulumi.Output<NamespaceAccess>;

    constructor(name: string, args: StackClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:StackCluster", name, {}, opts);
        const reference = new pulumi.StackReference(`${name}-reference`, { name: args.clusterStack }, { parent: this });
        // requireOutput fails the run, naming the stack and the output, when the stack does not export it.
        // A secret in this stack's state: gke's kubeconfig holds no credential and is no secret there, but
        // another cluster stack's kubeconfig might hold one.
        const kubeconfig = pulumi.secret(reference.requireOutput(KUBECONFIG_OUTPUT).apply(String));
        // No deleteUnreachable: the cluster outlives this stack, so an unreachable cluster is an error to
        // look at, not a sign that the namespace is gone.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig }, { parent: this });
        this.imageRegistry = reference.requireOutput(IMAGE_REGISTRY_OUTPUT).apply(String);
        this.namespaceAccess = reference.requireOutput(NAMESPACE_ACCESS_OUTPUT) as pulumi.Output<NamespaceAccess>;
        this.registerOutputs({
            provider: this.provider,
            imageRegistry: this.imageRegistry,
            namespaceAccess: this.namespaceAccess,
        });
    }
}
