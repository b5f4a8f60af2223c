import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    gcpLabels,
    GKE_MAINTENANCE_WINDOW,
    GkeCluster,
    GkeClusterArgs,
    gkeKubeconfig,
    regionOf,
} from "../../components/gke-cluster";
import { byName, K8S, ofType, runUnderMocks, secretValue, sharedRun, unwrap } from "../helpers/mocks";
import { OptionRecorder } from "../helpers/options";

const TYPES = {
    cluster: "gcp:container/cluster:Cluster",
    nodePool: "gcp:container/nodePool:NodePool",
    router: "gcp:compute/router:Router",
    nat: "gcp:compute/routerNat:RouterNat",
    repository: "gcp:artifactregistry/repository:Repository",
    repositoryMember: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
} as const;

/** gcpLabels of ARGS.stack. */
const LABELS = { "part-of": "three-tier-app", stack: "review_7-eu" };

const ARGS = {
    project: "my-project",
    stack: "Review_7.EU",
    location: "europe-west1-b",
    machineType: "e2-standard-4",
    nodeCount: 2,
    minNodeCount: 1,
    maxNodeCount: 5,
    releaseChannel: "STABLE" as const,
    nodeServiceAccount: "three-tier-nodes@my-project.iam.gserviceaccount.com",
    databaseEncryptionKey: "projects/my-project/locations/europe-west1/keyRings/three-tier-app/cryptoKeys/gke-stack",
};

/** GkeCluster("gke", args) under mocks, with the options it gives each resource recorded; shared per args. */
function gkeCluster(args: GkeClusterArgs) {
    return sharedRun(["GkeCluster", args], async () => {
        const recorder = new OptionRecorder();
        const run = await runUnderMocks(
            () => new GkeCluster("gke", args, { transformations: [recorder.transformation] }),
        );
        return { ...run, recorder };
    });
}

describe("GkeCluster", () => {
    it("provisions a VPC-native cluster with Workload Identity that destroy can delete", async () => {
        const { resources } = await gkeCluster(ARGS);
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
        assert.deepEqual(cluster.maintenancePolicy, {
            recurringWindow: {
                startTime: "2025-01-04T02:00:00Z",
                endTime: "2025-01-04T10:00:00Z",
                recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
            },
        });
        assert.deepEqual(cluster.workloadIdentityConfig, { workloadPool: "my-project.svc.id.goog" });
        assert.equal(cluster.datapathProvider, "ADVANCED_DATAPATH");
        assert.equal(cluster.enableLegacyAbac, false);
        assert.deepEqual(cluster.databaseEncryption, {
            state: "ENCRYPTED",
            keyName: "projects/my-project/locations/europe-west1/keyRings/three-tier-app/cryptoKeys/gke-stack",
        });
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

    it("gives the cluster its own autoscaled node pool, running as the service account it is given", async () => {
        const { resources } = await gkeCluster(ARGS);
        const pool = byName(resources, "gcp:container/nodePool:NodePool", "gke-nodes").inputs;
        assert.equal(pool.cluster, "gke-cluster-1234567");
        assert.equal(pool.initialNodeCount, 2);
        assert.deepEqual(pool.autoscaling, { minNodeCount: 1, maxNodeCount: 5 });
        assert.equal(pool.nodeConfig.machineType, "e2-standard-4");
        assert.equal(pool.nodeConfig.serviceAccount, "three-tier-nodes@my-project.iam.gserviceaccount.com");
        assert.deepEqual(pool.nodeConfig.oauthScopes, ["https://www.googleapis.com/auth/cloud-platform"]);
        assert.deepEqual(pool.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });
    });

    it("runs the default pool GKE starts with as that account too, and ignores that setting afterwards", async () => {
        const { resources, recorder } = await gkeCluster(ARGS);
        const cluster = byName(resources, TYPES.cluster, "gke-cluster").inputs;
        assert.deepEqual(cluster.nodeConfig, {
            serviceAccount: "three-tier-nodes@my-project.iam.gserviceaccount.com",
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        });
        assert.deepEqual(recorder.options(TYPES.cluster, "gke-cluster").ignoreChanges, ["nodeConfig"]);
    });

    it("creates no service account and grants no project role: the account and its roles come from outside", async () => {
        for (const mode of ["standard", "autopilot"] as const) {
            const { resources } = await gkeCluster({ ...ARGS, mode, location: "europe-west1" });
            const iam = resources.filter(
                (r) => r.type.startsWith("gcp:serviceaccount/") || r.type.startsWith("gcp:projects/"),
            );
            assert.deepEqual(iam, [], mode);
        }
    });

    it("adds nothing for private nodes or an endpoint limit unless asked", async () => {
        const { resources } = await gkeCluster(ARGS);
        const cluster = byName(resources, TYPES.cluster, "gke-cluster").inputs;
        // By default only the DNS endpoint, which admits callers by IAM from anywhere (CI runners too).
        assert.deepEqual(cluster.controlPlaneEndpointsConfig, {
            dnsEndpointConfig: { allowExternalTraffic: true },
            ipEndpointsConfig: { enabled: false },
        });
        assert.equal(cluster.privateClusterConfig, undefined);
        assert.equal(cluster.masterAuthorizedNetworksConfig, undefined);
        assert.equal(cluster.enableAutopilot, undefined);
        assert.deepEqual([...ofType(resources, TYPES.router), ...ofType(resources, TYPES.nat)], []);
    });

    it("keeps the app's images in an Artifact Registry repository that only its nodes may read", async () => {
        const { resources, result } = await gkeCluster(ARGS);
        const [repository] = ofType(resources, TYPES.repository);
        assert.equal(ofType(resources, TYPES.repository).length, 1);
        assert.equal(repository.inputs.project, "my-project");
        assert.equal(repository.inputs.location, "europe-west1", "the cluster's region");
        assert.equal(repository.inputs.format, "DOCKER");
        assert.deepEqual(repository.inputs.labels, LABELS);
        const policies = repository.inputs.cleanupPolicies;
        assert.deepEqual(
            policies.map((p: any) => [p.id, p.action]),
            [
                ["delete-old", "DELETE"],
                ["keep-recent", "KEEP"],
            ],
        );
        assert.equal(policies[1].mostRecentVersions.keepCount, 10);
        assert.equal(repository.inputs.cleanupPolicyDryRun, false);
        // Pulling is granted on this repository alone, to the nodes' account alone.
        const readers = ofType(resources, TYPES.repositoryMember);
        assert.deepEqual(
            readers.map((m) => [m.inputs.role, m.inputs.member, m.inputs.repository]),
            [
                [
                    "roles/artifactregistry.reader",
                    "serviceAccount:three-tier-nodes@my-project.iam.gserviceaccount.com",
                    "three-tier-app",
                ],
            ],
        );
        assert.equal(await unwrap(result.imageRegistry), "europe-west1-docker.pkg.dev/my-project/three-tier-app");
    });

    it("gives review stacks a node pool of their own, tainted against every other pod", async () => {
        const reviewServiceAccount = "three-tier-review@my-project.iam.gserviceaccount.com";
        const withReview = await gkeCluster({ ...ARGS, reviewServiceAccount });
        const pool = byName(withReview.resources, TYPES.nodePool, "gke-review-nodes").inputs;
        assert.deepEqual(pool.nodeConfig.taints, [
            { key: "three-tier-app/review-nodes", value: "true", effect: "NO_SCHEDULE" },
        ]);
        assert.deepEqual(pool.nodeConfig.labels, { "three-tier-app/review-nodes": "true" });
        assert.equal(pool.nodeConfig.serviceAccount, ARGS.nodeServiceAccount);
        assert.deepEqual(pool.autoscaling, { minNodeCount: 0, maxNodeCount: 3 });
        // The app's own pool carries neither: gke's pods run there, review pods cannot.
        const own = byName(withReview.resources, TYPES.nodePool, "gke-nodes").inputs;
        assert.equal(own.nodeConfig.taints, undefined);

        const without = await gkeCluster(ARGS);
        assert.deepEqual(
            ofType(without.resources, TYPES.nodePool).map((p) => p.name),
            ["gke-nodes"],
        );
        const autopilot = await gkeCluster({
            ...ARGS,
            location: "europe-west1",
            mode: "autopilot",
            reviewServiceAccount,
        });
        assert.deepEqual(ofType(autopilot.resources, TYPES.nodePool), [], "Autopilot separates the workloads itself");
    });

    it("lets review stacks' account push to the repository when there is one, on the repository alone", async () => {
        const { resources } = await gkeCluster({
            ...ARGS,
            reviewServiceAccount: "three-tier-review@my-project.iam.gserviceaccount.com",
        });
        assert.deepEqual(
            ofType(resources, TYPES.repositoryMember).map((m) => [m.name, m.inputs.role, m.inputs.member]),
            [
                [
                    "gke-images-reader-0",
                    "roles/artifactregistry.reader",
                    "serviceAccount:three-tier-nodes@my-project.iam.gserviceaccount.com",
                ],
                [
                    "gke-images-writer-0",
                    "roles/artifactregistry.writer",
                    "serviceAccount:three-tier-review@my-project.iam.gserviceaccount.com",
                ],
            ],
        );
        assert.deepEqual(
            resources.filter((r) => r.type.startsWith("gcp:projects/")),
            [],
        );
    });

    describe("protect", () => {
        async function protectedNames(protect: boolean | undefined) {
            const { resources, recorder } = await gkeCluster({ ...ARGS, protect });
            return { resources, recorder, names: recorder.protectedNames() };
        }

        it("is off by default: deletionProtection false, nothing Pulumi-protected", async () => {
            const { resources, names } = await protectedNames(undefined);
            assert.equal(byName(resources, TYPES.cluster, "gke-cluster").inputs.deletionProtection, false);
            assert.deepEqual(names, []);
        });

        it("turns on deletionProtection and Pulumi protect on the cluster and the node pool only", async () => {
            const { resources, recorder, names } = await protectedNames(true);
            assert.equal(byName(resources, TYPES.cluster, "gke-cluster").inputs.deletionProtection, true);
            assert.deepEqual(names, ["gke-cluster", "gke-nodes"]);
            assert.equal(recorder.options(TYPES.nodePool, "gke-nodes").protect, true);
        });
    });

    describe("dataDisk: the app's disk, owned here so Pulumi deletes it", () => {
        it("is a balanced disk in the cluster's zone, protected with the cluster", async () => {
            const { resources, result, recorder } = await gkeCluster({
                ...ARGS,
                protect: true,
                dataDisk: { sizeGb: 20 },
            });
            const disk = byName(resources, "gcp:compute/disk:Disk", "gke-data").inputs;
            assert.deepEqual(
                { project: disk.project, zone: disk.zone, size: disk.size, type: disk.type, labels: disk.labels },
                { project: "my-project", zone: "europe-west1-b", size: 20, type: "pd-balanced", labels: LABELS },
            );
            assert.equal(result.dataDisk?.zone, "europe-west1-b");
            assert.equal(await unwrap(result.dataDisk?.id), "gke-data-id");
            assert.deepEqual(recorder.protectedNames(), ["gke-cluster", "gke-data", "gke-nodes"]);
        });

        it("in a regional cluster, sits in the zone it is given, and needs one", async () => {
            const regional = { ...ARGS, location: "europe-west1" };
            const { resources } = await gkeCluster({ ...regional, dataDisk: { sizeGb: 10, zone: "europe-west1-d" } });
            assert.equal(byName(resources, "gcp:compute/disk:Disk", "gke-data").inputs.zone, "europe-west1-d");
            await assert.rejects(
                runUnderMocks(() => new GkeCluster("gke", { ...regional, dataDisk: { sizeGb: 10 } })),
                { message: 'GkeClusterArgs.dataDisk.zone: a zone is needed, got "europe-west1"' },
            );
        });
    });

    describe("Autopilot", () => {
        const AUTOPILOT = { ...ARGS, location: "europe-west1", mode: "autopilot" as const };

        it("has no node pool; its nodes run as the account it is given", async () => {
            const { resources, recorder } = await gkeCluster(AUTOPILOT);
            assert.deepEqual(ofType(resources, TYPES.nodePool), []);
            const cluster = byName(resources, TYPES.cluster, "gke-cluster").inputs;
            assert.equal(cluster.enableAutopilot, true);
            assert.deepEqual(cluster.clusterAutoscaling, {
                autoProvisioningDefaults: {
                    serviceAccount: "three-tier-nodes@my-project.iam.gserviceaccount.com",
                    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                },
            });
            for (const key of ["removeDefaultNodePool", "initialNodeCount", "datapathProvider", "nodeConfig"]) {
                assert.equal(cluster[key], undefined, key);
            }
            assert.deepEqual(cluster.workloadIdentityConfig, { workloadPool: "my-project.svc.id.goog" });
            assert.deepEqual(recorder.dependsOn(K8S.provider, "gke-k8s"), ["gke-cluster"]);
        });

        it("protects the cluster, there being no node pool", async () => {
            const { recorder } = await gkeCluster({ ...AUTOPILOT, protect: true });
            assert.deepEqual(recorder.protectedNames(), ["gke-cluster"]);
        });
    });

    it("a Standard cluster's provider waits for the node pool", async () => {
        const { recorder } = await gkeCluster(ARGS);
        assert.deepEqual(recorder.dependsOn(K8S.provider, "gke-k8s"), ["gke-nodes"]);
        assert.deepEqual(recorder.dependsOn(TYPES.nodePool, "gke-nodes"), []);
        assert.deepEqual(recorder.dependsOn(TYPES.cluster, "gke-cluster"), []);
    });

    it("private nodes: no public IPs, Cloud NAT for image pulls, a public IP endpoint limited to the given networks", async () => {
        const { resources } = await gkeCluster({
            ...ARGS,
            privateNodes: true,
            ipEndpoint: true,
            authorizedNetworks: ["203.0.113.0/24", "198.51.100.7/32"],
        });
        const cluster = byName(resources, TYPES.cluster, "gke-cluster").inputs;
        assert.deepEqual(cluster.controlPlaneEndpointsConfig, {
            dnsEndpointConfig: { allowExternalTraffic: true },
            ipEndpointsConfig: { enabled: true },
        });
        assert.deepEqual(cluster.privateClusterConfig, { enablePrivateNodes: true, enablePrivateEndpoint: false });
        assert.deepEqual(cluster.masterAuthorizedNetworksConfig, {
            cidrBlocks: [
                { cidrBlock: "203.0.113.0/24", displayName: "203.0.113.0/24" },
                { cidrBlock: "198.51.100.7/32", displayName: "198.51.100.7/32" },
            ],
        });
        const router = byName(resources, TYPES.router, "gke-router").inputs;
        assert.equal(router.region, "europe-west1");
        assert.equal(router.network, "gke-network-id");
        const nat = byName(resources, TYPES.nat, "gke-nat").inputs;
        assert.equal(nat.region, "europe-west1");
        assert.equal(nat.sourceSubnetworkIpRangesToNat, "ALL_SUBNETWORKS_ALL_IP_RANGES");
    });

    it("private nodes behind the DNS endpoint alone: no IP endpoint to make public or private", async () => {
        const { resources } = await gkeCluster({ ...ARGS, privateNodes: true });
        const cluster = byName(resources, TYPES.cluster, "gke-cluster").inputs;
        assert.deepEqual(cluster.privateClusterConfig, { enablePrivateNodes: true });
        assert.deepEqual(cluster.controlPlaneEndpointsConfig.ipEndpointsConfig, { enabled: false });
        assert.equal(cluster.masterAuthorizedNetworksConfig, undefined);
    });

    it("refuses authorized networks without the IP endpoint they would limit, before creating anything", async () => {
        const registered: string[] = [];
        const record: pulumi.ResourceTransformation = ({ name }) => {
            registered.push(name);
            return undefined;
        };
        const args = { ...ARGS, authorizedNetworks: ["10.0.0.0/8", "192.0.2.0/24"] };
        await assert.rejects(
            runUnderMocks(() => new GkeCluster("gke", args, { transformations: [record] })),
            {
                message:
                    "GkeClusterArgs.authorizedNetworks: they limit the IP endpoint, so they need ipEndpoint true, " +
                    "got 10.0.0.0/8,192.0.2.0/24",
            },
        );
        assert.deepEqual(registered, ["gke"], "the component alone, none of its children");
    });

    it("public nodes with an endpoint limited to the given networks", async () => {
        const { resources } = await gkeCluster({ ...ARGS, ipEndpoint: true, authorizedNetworks: ["10.0.0.0/8"] });
        const cluster = byName(resources, TYPES.cluster, "gke-cluster").inputs;
        assert.equal(cluster.privateClusterConfig, undefined);
        assert.deepEqual(cluster.masterAuthorizedNetworksConfig.cidrBlocks, [
            { cidrBlock: "10.0.0.0/8", displayName: "10.0.0.0/8" },
        ]);
        assert.deepEqual(ofType(resources, TYPES.router), []);
    });

    for (const ipEndpoint of [false, true]) {
        it(`builds its Kubernetes provider from a kubeconfig for the DNS endpoint, IP endpoint ${ipEndpoint ? "on" : "off"}`, async () => {
            const { resources, result } = await gkeCluster({ ...ARGS, ipEndpoint });
            const providers = ofType(resources, K8S.provider);
            assert.equal(providers.length, 1);
            const kubeconfig = JSON.parse(await unwrap(result.kubeconfig));
            // The mocks' DNS endpoint, not the IP endpoint (203.0.113.1) and its CA, which the cluster reports too.
            assert.deepEqual(kubeconfig.clusters[0].cluster, {
                server: "https://gke-0123456789abcdef-123456789012.europe-west1-b.gke.goog",
            });
            assert.equal(kubeconfig.users[0].user.exec.command, "gke-gcloud-auth-plugin");
            assert.equal(kubeconfig["current-context"], "gke_my-project_europe-west1-b_gke-cluster-1234567");
            // No credential in it, so no secret: review stacks read it without this stack's secrets provider.
            assert.equal(await pulumi.isSecret(result.kubeconfig), false);
            assert.equal(await unwrap(result.clusterName), "gke-cluster-1234567");
            assert.equal(secretValue(providers[0].inputs.kubeconfig), undefined);
            assert.equal(JSON.parse(providers[0].inputs.kubeconfig).users[0].user.exec.provideClusterInfo, true);
        });
    }

    it("names the cluster to its Kubernetes provider, so another endpoint of it updates the provider in place", async () => {
        const { resources } = await gkeCluster(ARGS);
        // The cluster's id: a new cluster, and only that, replaces the provider and every object with it.
        assert.equal(byName(resources, K8S.provider, "gke-k8s").inputs.clusterIdentifier, "gke-cluster-id");
    });

    it("allows GKE the maintenance it requires: 48 hours in any 32 days, in windows of 4 hours or more", () => {
        const { startTime, endTime, recurrence } = GKE_MAINTENANCE_WINDOW;
        const hours = (Date.parse(endTime) - Date.parse(startTime)) / 3_600_000;
        const days = /^FREQ=WEEKLY;BYDAY=([A-Z]{2}(?:,[A-Z]{2})*)$/.exec(recurrence)?.[1].split(",") ?? [];
        assert.ok(hours >= 4, `${hours} h a window`);
        // 32 days hold at least 4 of each weekday.
        assert.ok(hours * days.length * 4 >= 48, `${hours} h on ${days.join(",")}`);
        assert.equal(new Date(startTime).getUTCDay(), 6, "starts on a Saturday, the first day it recurs on");
    });

    it("labels the cluster and its node VMs with what they are part of and the stack", async () => {
        const { resources } = await gkeCluster(ARGS);
        assert.deepEqual(byName(resources, TYPES.cluster, "gke-cluster").inputs.resourceLabels, LABELS);
        assert.deepEqual(byName(resources, TYPES.nodePool, "gke-nodes").inputs.nodeConfig.resourceLabels, LABELS);
    });

    describe("gcpLabels: the stack name as a GCP label value", () => {
        const cases: [string, string][] = [
            ["gke", "gke"],
            ["pr-1234", "pr-1234"],
            ["Review_7.EU", "review_7-eu"],
            ["a".repeat(63), "a".repeat(63)],
            ["b".repeat(70), "b".repeat(63)],
        ];
        for (const [stack, value] of cases) {
            it(`${stack} → ${value}`, () => {
                assert.deepEqual(gcpLabels(stack), { "part-of": "three-tier-app", stack: value });
                assert.match(value, /^[a-z0-9_-]{0,63}$/);
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

    it("writes a kubeconfig for the DNS endpoint holding no credential and no CA", () => {
        const kubeconfig = JSON.parse(gkeKubeconfig({ name: "c", dnsEndpoint: "gke-1.europe-west1.gke.goog" }));
        assert.deepEqual(kubeconfig.clusters, [
            { name: "c", cluster: { server: "https://gke-1.europe-west1.gke.goog" } },
        ]);
        assert.deepEqual(kubeconfig.contexts, [{ name: "c", context: { cluster: "c", user: "c" } }]);
        assert.deepEqual(Object.keys(kubeconfig.users[0].user), ["exec"]);
        assert.equal(kubeconfig.users[0].user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
    });
});
