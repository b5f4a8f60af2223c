import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Default of KubeconfigClusterArgs.kubeContext. */
export const DEFAULT_KUBE_CONTEXT = "minikube";

export interface KubeconfigClusterArgs {
    /** kubeconfig context to deploy to. Default: DEFAULT_KUBE_CONTEXT (minikube). */
    readonly kubeContext?: string;
    /** kubeconfig file path or contents. Default: $KUBECONFIG, then ~/.kube/config. */
    readonly kubeconfig?: string;
}

/** An existing cluster reached through a kubeconfig context (minikube, or any cluster the user has). */
export class KubeconfigCluster extends pulumi.ComponentResource {
    public readonly provider: k8s.Provider;

    constructor(name: string, args: KubeconfigClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:KubeconfigCluster", name, {}, opts);
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            {
                context: args.kubeContext ?? DEFAULT_KUBE_CONTEXT,
                kubeconfig: args.kubeconfig,
                // A deleted cluster (minikube deleted, the local cluster gone) must not make `pulumi destroy`
                // fail: its objects are gone with it.
                deleteUnreachable: true,
            },
            { parent: this },
        );
        this.registerOutputs({ provider: this.provider });
    }
}
