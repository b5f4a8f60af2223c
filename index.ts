// Reads the stack's config, picks where to deploy (a GKE cluster it provisions, or a kubeconfig context
// such as minikube) and deploys the app there through that cluster's provider.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { ThreeTierApp } from "./components/app";
import { GkeCluster, nodeServiceAccountId } from "./components/gke-cluster";
import { KubeconfigCluster } from "./components/kubeconfig-cluster";

const config = loadConfig();

const cluster =
    config.cluster.target === "gke"
        ? new GkeCluster("gke", { ...config.cluster, nodeServiceAccountId: nodeServiceAccountId(pulumi.getStack()) })
        : new KubeconfigCluster("kube", { context: config.cluster.kubeContext, kubeconfig: config.cluster.kubeconfig });

const app = new ThreeTierApp("web", {
    provider: cluster.provider,
    namespace: config.namespace,
    instance: pulumi.getStack(),
    frontend: config.frontend,
    backend: config.backend,
    redis: config.redis,
    redisPassword: config.redisPassword,
});

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
