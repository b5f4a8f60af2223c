// Reads the stack's config, picks where to deploy (a GKE cluster it provisions, a cluster another stack
// owns, or a kubeconfig context such as minikube) and deploys the app there through that cluster's provider.
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, loadConfig, plainHttpRegistry } from "./config";
import { ThreeTierApp } from "./components/app";
import { GkeCluster } from "./components/gke-cluster";
import { KubeconfigCluster } from "./components/kubeconfig-cluster";
import { ReviewAccess } from "./components/review-access";
import { StackCluster } from "./components/stack-cluster";

const config = loadConfig();

function clusterOf(cluster: ClusterConfig): GkeCluster | StackCluster | KubeconfigCluster {
    switch (cluster.target) {
        case "gke":
            return new GkeCluster("gke", cluster);
        case "stack":
            return new StackCluster("stack", cluster);
        case "kubeconfig":
            // Named "kube" until the target was called kubeconfig: the alias keeps existing stacks' URNs.
            return new KubeconfigCluster("kubeconfig", cluster, { aliases: [{ name: "kube" }] });
    }
}
const cluster = clusterOf(config.cluster);

// On gke, Redis' volume is the cluster component's disk, so Pulumi, not the cluster, deletes it.
const withDisk =
    cluster instanceof GkeCluster
        ? { ...config.app, redis: { ...config.app.redis, gceDisk: cluster.dataDisk } }
        : config.app;
// On gke the images go to the cluster's Artifact Registry repository, on a review stack to gke's; on a
// kubeconfig cluster config names the registry.
const appArgs =
    cluster instanceof KubeconfigCluster
        ? withDisk
        : {
              ...withDisk,
              images: { registry: cluster.imageRegistry, insecure: cluster.imageRegistry.apply(plainHttpRegistry) },
          };
// A review stack binds its identity to the cluster stack's namespace role, in its own namespace.
const namespaceAccess = cluster instanceof StackCluster ? { namespaceAccess: cluster.namespaceAccess } : {};
// Every Kubernetes object of the app inherits this provider through parenting.
const app = new ThreeTierApp("web", { ...appArgs, ...namespaceAccess }, { providers: [cluster.provider] });

// The cluster's side of review stacks, where this stack hosts them.
const review =
    config.reviewAccess && new ReviewAccess("review", config.reviewAccess, { providers: [cluster.provider] });

// Stack outputs; the cluster's only where this program made one.
const outputs: Record<string, pulumi.Input<unknown>> = {
    namespace: app.namespace,
    frontendUrl: app.frontend.url,
    frontendHint: app.frontend.hint,
};
if (cluster instanceof GkeCluster) {
    outputs.clusterName = cluster.clusterName;
    // Review stacks read it through their StackReference; it holds no credential, so it is no secret, and
    // no output here is one: they need none of this stack's secrets.
    outputs.kubeconfig = cluster.kubeconfig;
    // Review stacks push their images here too (StackCluster).
    outputs.imageRegistry = cluster.imageRegistry;
}
if (review) {
    // Review stacks read both through their StackReference (StackCluster): where their identity may act,
    // and, for a ServiceAccount identity, the kubeconfig that acts as it.
    outputs.namespaceAccess = pulumi.output(review.namespaceAccess);
    if (review.kubeconfig) outputs.kubeconfig = review.kubeconfig;
    // Their images go to this stack's registry, which the cluster's nodes pull from.
    if (config.app.images) outputs.imageRegistry = config.app.images.registry;
}
export = outputs;
