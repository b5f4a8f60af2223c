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
    frontend: config.frontend,
    backend: config.backend,
    redis: config.redis,
    redisPassword: config.redisPassword,
});

export const namespace = app.namespace;
export const frontendUrl = app.frontend.url;
export const clusterName = cluster instanceof GkeCluster ? cluster.clusterName : undefined;
export const kubeconfig = cluster instanceof GkeCluster ? cluster.kubeconfig : undefined;
