import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    GkeCluster,
    gkeKubeconfig,
    NODE_SERVICE_ACCOUNT_ROLES,
    nodeServiceAccountId,
    regionOf,
} from "../../components/gke-cluster";
import { byName, K8S, ofType, runUnderMocks, secretValue, unwrap } from "../helpers/mocks";

const ARGS = {
    project: "my-project",
    location: "europe-west1-b",
    machineType: "e2-standard-4",
    nodeCount: 2,
    minNodeCount: 1,
    maxNodeCount: 5,
    releaseChannel: "STABLE" as const,
    nodeServiceAccountId: "nodes-gke",
};

describe("GkeCluster", () => {
    it("provisions a VPC-native cluster with Workload Identity that destroy can delete", async () => {
        const { resources } = await runUnderMocks(() => new GkeCluster("gke", ARGS));
        const cluster = byName(resources, "gcp:container/cluster:Cluster", "gke-cluster").inputs;
        assert.equal(cluster.project, "my-project");
        assert.equal(cluster.location, "europe-west1-b");
        assert.equal(cluster.deletionProtection, false);
        assert.equal(cluster.removeDefaultNodePool, true);
        assert.equal(cluster.networkingMode, "VPC_NATIVE");
        assert.deepEqual(cluster.ipAllocationPolicy, {
            clusterSecondaryRangeName: "pods",
            servicesSecondaryRangeName: "services",
        });
        assert.deepEqual(cluster.releaseChannel, { channel: "STABLE" });
        assert.deepEqual(cluster.workloadIdentityConfig, { workloadPool: "my-project.svc.id.goog" });
        assert.equal(cluster.datapathProvider, "ADVANCED_DATAPATH");
        assert.equal(cluster.enableLegacyAbac, false);
        assert.deepEqual(cluster.masterAuth, { clientCertificateConfig: { issueClientCertificate: false } });
        assert.equal(cluster.network, "gke-network-id");
        assert.equal(cluster.subnetwork, "gke-subnetwork-id");

        const subnetwork = byName(resources, "gcp:compute/subnetwork:Subnetwork", "gke-subnetwork").inputs;
        assert.equal(subnetwork.region, "europe-west1");
        assert.deepEqual(
            subnetwork.secondaryIpRanges.map((r: { rangeName: string }) => r.rangeName),
            ["pods", "services"],
        );
        assert.equal(
            byName(resources, "gcp:compute/network:Network", "gke-network").inputs.autoCreateSubnetworks,
            false,
        );
    });

    it("gives the cluster its own autoscaled node pool with a least-privilege service account", async () => {
        const { resources } = await runUnderMocks(() => new GkeCluster("gke", ARGS));
        const pool = byName(resources, "gcp:container/nodePool:NodePool", "gke-nodes").inputs;
        assert.equal(pool.cluster, "gke-cluster-1234567");
        assert.equal(pool.initialNodeCount, 2);
        assert.deepEqual(pool.autoscaling, { minNodeCount: 1, maxNodeCount: 5 });
        assert.equal(pool.nodeConfig.machineType, "e2-standard-4");
        assert.equal(pool.nodeConfig.serviceAccount, "nodes-gke@my-project.iam.gserviceaccount.com");
        assert.deepEqual(pool.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });
        const roles = ofType(resources, "gcp:projects/iAMMember:IAMMember").map((m) => m.inputs.role);
        assert.deepEqual(roles.sort(), [...NODE_SERVICE_ACCOUNT_ROLES].sort());
    });

    it("honours deletion protection when asked", async () => {
        const { resources } = await runUnderMocks(() => new GkeCluster("gke", { ...ARGS, deletionProtection: true }));
        assert.equal(byName(resources, "gcp:container/cluster:Cluster", "gke-cluster").inputs.deletionProtection, true);
    });

    it("builds its Kubernetes provider from a secret kubeconfig that uses gke-gcloud-auth-plugin", async () => {
        const { resources, result } = await runUnderMocks(() => new GkeCluster("gke", ARGS));
        const providers = ofType(resources, K8S.provider);
        assert.equal(providers.length, 1);
        const kubeconfig = JSON.parse(await unwrap(result.kubeconfig));
        assert.equal(kubeconfig.clusters[0].cluster.server, "https://203.0.113.1");
        assert.equal(kubeconfig.clusters[0].cluster["certificate-authority-data"], "Q0EtREFUQQ==");
        assert.equal(kubeconfig.users[0].user.exec.command, "gke-gcloud-auth-plugin");
        assert.equal(kubeconfig["current-context"], "gke_my-project_europe-west1-b_gke-cluster-1234567");
        assert.equal(await pulumi.isSecret(result.kubeconfig), true);
        assert.equal(await unwrap(result.clusterName), "gke-cluster-1234567");
        const providerKubeconfig = secretValue(providers[0].inputs.kubeconfig);
        assert.equal(JSON.parse(providerKubeconfig).users[0].user.exec.provideClusterInfo, true);
    });

    describe("nodeServiceAccountId", () => {
        const cases: [string, string][] = [
            ["gke", "nodes-gke"],
            ["pr-1234", "nodes-pr-1234"],
            ["Review_Stack.Name", "nodes-review-stack-name"],
            ["twenty-four-characters-", "nodes-twenty-four-characters"],
            ["a-very-long-stack-name-for-previews", "nodes-a-very-long-stack-1cf637"],
            ["a-very-long-stack-name-for-reviews", "nodes-a-very-long-stack-5fb078"],
        ];
        for (const [stack, id] of cases) {
            it(`${stack} → ${id}`, () => {
                assert.equal(nodeServiceAccountId(stack), id);
                assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
            });
        }
    });

    describe("regionOf", () => {
        const cases: [string, string][] = [
            ["us-central1-a", "us-central1"],
            ["us-central1", "us-central1"],
            ["europe-west1-b", "europe-west1"],
        ];
        for (const [location, region] of cases)
            it(`${location} → ${region}`, () => assert.equal(regionOf(location), region));
    });

    it("writes a kubeconfig holding no credential", () => {
        const kubeconfig = JSON.parse(gkeKubeconfig({ name: "c", endpoint: "10.0.0.1", caCertificate: "CA" }));
        assert.deepEqual(kubeconfig.contexts, [{ name: "c", context: { cluster: "c", user: "c" } }]);
        assert.equal(kubeconfig.users[0].user.token, undefined);
        assert.equal(kubeconfig.users[0].user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
    });
});
