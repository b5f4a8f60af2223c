// Reads the stack's config, picks where to deploy (a GKE cluster it provisions, or a kubeconfig context
// such as minikube) and deploys the app there through that cluster's provider.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { ThreeTierApp } from "./components/app";
import { GkeCluster } from "./components/gke-cluster";
import { KubeconfigCluster } from "./components/kubeconfig-cluster";

const config = loadConfig();

const cluster =
    config.cluster.target === "gke"
        ? new GkeCluster("gke", config.cluster)
        : // Named "kube" until the target was called kubeconfig: the alias keeps existing stacks' URNs.
          new KubeconfigCluster("kubeconfig", config.cluster, { aliases: [{ name: "kube" }] });

// On gke, Redis' volume is the cluster component's disk, so Pulumi, not the cluster, deletes it.
const appArgs =
    cluster instanceof GkeCluster
        ? { ...config.app, redis: { ...config.app.redis, gceDisk: cluster.dataDisk } }
        : config.app;
// Every Kubernetes object of the app inherits this provider through parenting.
const app = new ThreeTierApp("web", appArgs, { providers: [cluster.provider] });

// Stack outputs; the cluster's only where this program made one.
const outputs: Record<string, pulumi.Output<string>> = {
    namespace: app.namespace,
    frontendUrl: app.frontend.url,
    frontendHint: app.frontend.hint,
};
if (cluster instanceof GkeCluster) {
    outputs.clusterName = cluster.clusterName;
    outputs.kubeconfig = cluster.kubeconfig;
}
export = outputs;
