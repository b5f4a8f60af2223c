import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
    CONFIG_KEYS,
    ConfigError,
    ConfigKeySpec,
    diskSizeGb,
    parseConfig,
    plainHttpRegistry,
    RawConfig,
} from "../config";
import { PROJECT } from "../project";
import { unwrap } from "./helpers/mocks";

const STACK = "test";
/** The bootstrap stack's key for Secrets of the clusters in a region. */
const keyIn = (region: string) =>
    `projects/my-project/locations/${region}/keyRings/three-tier-app/cryptoKeys/gke-stack`;
/** What a gke stack must set: its project and the bootstrap stack's outputs. */
const GKE: RawConfig = {
    target: "gke",
    "gcp:project": "my-project",
    gkeNodeServiceAccount: "three-tier-nodes@my-project.iam.gserviceaccount.com",
    gkeDatabaseEncryptionKey: keyIn("us-central1"),
};
/** A key's default as Pulumi.yaml writes it: a list as its comma-separated text. */
const declaredDefault = (spec: ConfigKeySpec<unknown>) =>
    Array.isArray(spec.default) ? spec.default.join(",") : spec.default;
/** A key's description as Pulumi.yaml and the README give it: an integer key's range added. */
const documented = (spec: ConfigKeySpec<unknown>) =>
    spec.range === undefined ? spec.description : `${spec.description} From ${spec.range.min} to ${spec.range.max}.`;
/** Every key at its default, as the engine hands a stack Pulumi.yaml's defaults. */
const ALL_DEFAULTS: RawConfig = Object.fromEntries(
    Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, String(declaredDefault(spec))]),
);

function problemsOf(raw: RawConfig, stack = STACK): readonly string[] {
    try {
        parseConfig(raw, stack);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    assert.fail("expected a ConfigError");
}

describe("config", () => {
    describe("parseConfig defaults", () => {
        it("gives the tutorial's app on minikube (the kubeconfig target's default context) when nothing is set", () => {
            const config = parseConfig({}, STACK);
            assert.deepEqual(config.cluster, { target: "kubeconfig", kubeContext: "minikube", kubeconfig: undefined });
            assert.equal(config.app.instance, "test");
            assert.equal(config.app.namespace, "three-tier");
            // No tier names an image: the program builds all three and pushes them to minikube's registry addon.
            assert.deepEqual(config.app.frontend, { profile: "unprivileged", replicas: 2, serviceType: "NodePort" });
            assert.deepEqual(config.app.backend, { replicas: 2, readinessPath: "/readyz" });
            assert.deepEqual(config.app.images, { registry: "localhost:5000/three-tier-app", insecure: true });
            assert.deepEqual(config.unpinnedImages, []);
            assert.deepEqual(config.app.redis, {
                storageSize: "10Gi",
                storageClass: undefined,
                accessMode: "ReadWriteOnce",
                protect: false,
                generatePassword: false,
            });
        });

        for (const target of ["gke", "stack"]) {
            it(`on target ${target}, in GKE, Redis gets a generated password unless one is set`, () => {
                const raw = {
                    target,
                    ...(target === "gke"
                        ? {
                              "gcp:project": "my-project-123",
                              gkeNodeServiceAccount: "three-tier-nodes@my-project-123.iam.gserviceaccount.com",
                              gkeDatabaseEncryptionKey:
                                  "projects/my-project-123/locations/us-central1/keyRings/r/cryptoKeys/gke-stack",
                          }
                        : { clusterStack: "organization/three-tier-app/gke" }),
                };
                assert.equal(parseConfig(raw, "pr-7").app.redis.generatePassword, true);
            });
        }

        it("reads GKE settings when the target is gke", () => {
            const config = parseConfig(
                {
                    ...GKE,
                    gkeNodeCount: "3",
                    gkeMaxNodeCount: "5",
                },
                STACK,
            );
            assert.deepEqual(config.cluster, {
                target: "gke",
                project: "my-project",
                stack: "test",
                location: "us-central1-a",
                mode: "standard",
                machineType: "e2-standard-2",
                nodeCount: 3,
                minNodeCount: 1,
                maxNodeCount: 5,
                releaseChannel: "REGULAR",
                privateNodes: false,
                ipEndpoint: false,
                authorizedNetworks: [],
                protect: false,
                dataDisk: { sizeGb: 10 },
                nodeServiceAccount: "three-tier-nodes@my-project.iam.gserviceaccount.com",
                databaseEncryptionKey: keyIn("us-central1"),
            });
        });

        it("gkeReviewServiceAccount: in the Args when set, absent when empty", () => {
            const review = "three-tier-review@my-project.iam.gserviceaccount.com";
            const withReview = parseConfig({ ...GKE, gkeReviewServiceAccount: review }, STACK).cluster;
            assert.equal(withReview.target === "gke" && withReview.reviewServiceAccount, review);
            assert.equal("reviewServiceAccount" in parseConfig({ ...ALL_DEFAULTS, ...GKE }, STACK).cluster, false);
        });

        it("reads the cluster's stack when the target is stack", () => {
            const config = parseConfig({ target: "stack", clusterStack: "organization/three-tier-app/gke" }, "pr-7");
            assert.deepEqual(config.cluster, { target: "stack", clusterStack: "organization/three-tier-app/gke" });
            // Defaults are no settings: the engine hands over every key, set or not.
            assert.deepEqual(
                parseConfig({ ...ALL_DEFAULTS, target: "stack", clusterStack: "acme/platform/prod" }, "pr-7").cluster,
                { target: "stack", clusterStack: "acme/platform/prod" },
            );
        });

        it("reads the GKE variants: Autopilot in a region, private nodes, an IP endpoint behind authorized networks", () => {
            const config = parseConfig(
                {
                    ...GKE,
                    gkeMode: "autopilot",
                    gkeLocation: "europe-west1",
                    gkeDataZone: "europe-west1-c",
                    gkeDatabaseEncryptionKey: keyIn("europe-west1"),
                    gkePrivateNodes: "true",
                    gkeIpEndpoint: "true",
                    gkeAuthorizedNetworks: "203.0.113.0/24, 198.51.100.7/32,",
                },
                STACK,
            );
            assert.ok(config.cluster.target === "gke");
            assert.equal(config.cluster.mode, "autopilot");
            assert.equal(config.cluster.location, "europe-west1");
            assert.equal(config.cluster.privateNodes, true);
            assert.equal(config.cluster.ipEndpoint, true);
            assert.deepEqual(config.cluster.authorizedNetworks, ["203.0.113.0/24", "198.51.100.7/32"]);
            assert.deepEqual(config.cluster.dataDisk, { sizeGb: 10, zone: "europe-west1-c" });
        });

        it("protect: one setting for the cluster, its node pool and the Redis claim", () => {
            const gke = parseConfig({ ...GKE, protect: "true" }, STACK);
            assert.ok(gke.cluster.target === "gke");
            assert.equal(gke.cluster.protect, true);
            assert.equal(gke.app.redis.protect, true);
            // A kubeconfig target (local, review stacks) can protect its claim too, or stay destroyable.
            assert.equal(parseConfig({ protect: "true" }, STACK).app.redis.protect, true);
            assert.equal(parseConfig({}, STACK).app.redis.protect, false);
        });

        describe("diskSizeGb: the GCE disk for a claim's size, at least 10 GB", () => {
            const cases: [string, number][] = [
                ["10Gi", 10],
                ["20Gi", 20],
                ["512Mi", 10],
                ["1Ti", 1024],
                ["100G", 94],
                ["10737418241", 11],
            ];
            for (const [quantity, gb] of cases) it(`${quantity} → ${gb}`, () => assert.equal(diskSizeGb(quantity), gb));
        });

        it("redisPassword: a secret in the Args when set, absent when empty", async () => {
            const password = parseConfig({ redisPassword: "s3cret" }, STACK).app.redis.redisPassword;
            assert.equal(await unwrap(password), "s3cret");
            assert.equal(await pulumi.isSecret(pulumi.output(password)), true);
            assert.equal("redisPassword" in parseConfig(ALL_DEFAULTS, STACK).app.redis, false);
        });

        it("redisHostPath: a volume the program owns", () => {
            assert.equal(
                parseConfig({ redisHostPath: "/tmp/hostpath_pv/redis" }, STACK).app.redis.hostPath,
                "/tmp/hostpath_pv/redis",
            );
            assert.equal("hostPath" in parseConfig({}, STACK).app.redis, false);
        });

        it("images: built unless a tier names one; a tag is deployed but reported unpinned", () => {
            const digest = "registry.example.com:5000/team/backend@sha256:" + "a".repeat(64);
            const config = parseConfig({ backendImage: digest, redisImage: "redis:7.4.2-alpine" }, STACK);
            assert.deepEqual(config.app.backend.image, { ref: digest });
            assert.deepEqual(config.app.redis.image, { ref: "redis:7.4.2-alpine", version: "7.4.2-alpine" });
            assert.equal(config.app.frontend.image, undefined);
            assert.deepEqual(config.unpinnedImages, [`${PROJECT}:redisImage redis:7.4.2-alpine`]);
            // Nothing left to build: no registry.
            const none = parseConfig({ backendImage: digest, redisImage: digest, frontendImage: digest }, STACK);
            assert.equal(none.app.images, undefined);
            // The tutorial profile runs the tutorial's own frontend image, unpinned.
            const tutorial = parseConfig({ frontendProfile: "tutorial" }, STACK);
            assert.equal(tutorial.app.frontend.image?.ref, "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0");
            assert.deepEqual(tutorial.unpinnedImages, [
                `${PROJECT}:frontendImage c1524db4f1/kubernetes-tutorial-frontend:v0.2.0`,
            ]);
            // gke and review stacks take their registry from the cluster component, not from config.
            const gke = parseConfig(GKE, STACK);
            assert.equal(gke.app.images, undefined);
        });

        describe("plainHttpRegistry: HTTP for this machine and private addresses, HTTPS elsewhere", () => {
            const cases: [string, boolean][] = [
                ["localhost:5000/three-tier-app", true],
                ["127.0.0.1:5000/a", true],
                ["172.31.255.2:5000/three-tier-app", true],
                ["10.1.2.3/a", true],
                ["192.168.49.2:5000/a", true],
                ["172.32.0.1:5000/a", false],
                ["us-central1-docker.pkg.dev/my-project/three-tier-app", false],
                ["localhost.example.com/a", false],
            ];
            for (const [prefix, plain] of cases)
                it(`${prefix} → ${plain}`, () => assert.equal(plainHttpRegistry(prefix), plain));
        });

        it("accepts set values", () => {
            const config = parseConfig(
                {
                    frontendReplicas: "5",
                    frontendServiceType: "LoadBalancer",
                    frontendProfile: "tutorial",
                    frontendImage: "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0",
                    redisStorageClass: "standard-rwo",
                    redisStorageSize: "512Mi",
                    kubeconfig: "/tmp/kubeconfig",
                    backendImage: "registry.example.com:5000/team/backend@sha256:" + "a".repeat(64),
                },
                STACK,
            );
            assert.equal(config.app.frontend.replicas, 5);
            assert.equal(config.app.frontend.serviceType, "LoadBalancer");
            assert.equal(config.app.frontend.profile, "tutorial");
            assert.equal(config.app.redis.storageClass, "standard-rwo");
            assert.equal(config.app.redis.storageSize, "512Mi");
            for (const host of ["172.31.255.2", "fd00::2", "node-1.example.com"]) {
                assert.equal(parseConfig({ frontendHost: host }, STACK).app.frontend?.host, host);
            }
            assert.equal(config.cluster.target === "kubeconfig" && config.cluster.kubeconfig, "/tmp/kubeconfig");
        });
    });

    describe("parseConfig refuses bad values, naming the key and what is allowed", () => {
        const cases: [string, RawConfig, string][] = [
            [
                "zero replicas",
                { frontendReplicas: "0" },
                `${PROJECT}:frontendReplicas must be a whole number from 1 to 20 (got "0")`,
            ],
            [
                "negative replicas",
                { backendReplicas: "-1" },
                `${PROJECT}:backendReplicas must be a whole number from 1 to 20 (got "-1")`,
            ],
            [
                "fractional replicas",
                { backendReplicas: "1.5" },
                `${PROJECT}:backendReplicas must be a whole number from 1 to 20 (got "1.5")`,
            ],
            [
                "non-numeric replicas",
                { frontendReplicas: "two" },
                `${PROJECT}:frontendReplicas must be a whole number from 1 to 20 (got "two")`,
            ],
            [
                "too many replicas",
                { frontendReplicas: "200" },
                `${PROJECT}:frontendReplicas must be a whole number from 1 to 20 (got "200")`,
            ],
            [
                "unknown service type",
                { frontendServiceType: "Ingress" },
                `${PROJECT}:frontendServiceType must be one of NodePort, LoadBalancer, ClusterIP (got "Ingress")`,
            ],
            [
                "unknown target",
                { target: "eks" },
                `${PROJECT}:target must be one of kubeconfig, gke, stack (got "eks")`,
            ],
            [
                "the retired target name minikube, which names the kubeconfig target",
                { target: "minikube" },
                `${PROJECT}:target minikube is replaced by ${PROJECT}:target kubeconfig (the same target under its own ` +
                    "name: any existing cluster through a kubeconfig context): run pulumi config set target kubeconfig",
            ],
            [
                "unknown frontend profile",
                { frontendProfile: "root" },
                `${PROJECT}:frontendProfile must be one of unprivileged, tutorial (got "root")`,
            ],
            [
                "malformed image",
                { backendImage: "Backend Image:v1" },
                `${PROJECT}:backendImage must be empty (the image this program builds) or an image reference like registry/name:tag or name@sha256:<digest> (got "Backend Image:v1")`,
            ],
            [
                "image with an empty tag",
                { redisImage: "redis:" },
                `${PROJECT}:redisImage must be empty (the image this program builds) or an image reference like registry/name:tag or name@sha256:<digest> (got "redis:")`,
            ],
            [
                "malformed storage size",
                { redisStorageSize: "10GB" },
                `${PROJECT}:redisStorageSize must be a positive storage quantity such as 10Gi or 512Mi (got "10GB")`,
            ],
            [
                "zero storage size",
                { redisStorageSize: "0Gi" },
                `${PROJECT}:redisStorageSize must be a positive storage quantity such as 10Gi or 512Mi (got "0Gi")`,
            ],
            [
                "bad namespace",
                { namespace: "Three_Tier" },
                `${PROJECT}:namespace must be a DNS label: lowercase letters, digits and '-', at most 63 (got "Three_Tier")`,
            ],
            [
                "bad storage class",
                { redisStorageClass: "Fast SSD" },
                `${PROJECT}:redisStorageClass must be empty (the cluster default) or a StorageClass name (got "Fast SSD")`,
            ],
            [
                "unknown access mode",
                { redisAccessMode: "RWO" },
                `${PROJECT}:redisAccessMode must be one of ReadWriteOnce, ReadWriteOncePod, ReadWriteMany (got "RWO")`,
            ],
            [
                "frontend host that is neither an address nor a name",
                { frontendHost: "http://172.31.255.2" },
                `${PROJECT}:frontendHost must be empty, or the IP address or DNS name of a node (got "http://172.31.255.2")`,
            ],
            [
                "relative readiness path",
                { backendReadinessPath: "readyz" },
                `${PROJECT}:backendReadinessPath must be an absolute HTTP path such as /healthz (got "readyz")`,
            ],
            [
                "empty kube context",
                { kubeContext: "" },
                `${PROJECT}:kubeContext must be a kubeconfig context name (got "")`,
            ],
            ...[
                "",
                "nodes",
                "nodes@my-project",
                "nodes@my-project.iam.gserviceaccount.com.evil",
                "123456789-compute@developer.gserviceaccount.com",
            ].map((account): [string, RawConfig, string] => [
                `a node service account that is not a user-managed account's email: "${account}"`,
                { ...GKE, gkeNodeServiceAccount: account },
                `${PROJECT}:gkeNodeServiceAccount must be a service account email <id>@<project>.iam.gserviceaccount.com, ` +
                    `the bootstrap stack's nodeServiceAccount output (required when target is gke) (got "${account}")`,
            ]),
            ...[
                "",
                "gke-stack",
                "projects/my-project/locations/us-central1/keyRings/three-tier-app",
                "projects/my-project/locations/us-central1/keyRings/three-tier-app/cryptoKeys/gke-stack/cryptoKeyVersions/1",
                "projects/My Project/locations/us-central1/keyRings/three-tier-app/cryptoKeys/gke-stack",
            ].map((key): [string, RawConfig, string] => [
                `a Secrets encryption key that is not a Cloud KMS key id: "${key}"`,
                { ...GKE, gkeDatabaseEncryptionKey: key },
                `${PROJECT}:gkeDatabaseEncryptionKey must be a Cloud KMS key projects/<project>/locations/<location>/` +
                    "keyRings/<ring>/cryptoKeys/<key>, the bootstrap stack's gkeDatabaseEncryptionKey output (required " +
                    `when target is gke) (got "${key}")`,
            ]),
            [
                "a Secrets encryption key in another region than the cluster",
                {
                    ...GKE,
                    gkeLocation: "europe-west1-b",
                    gkeDatabaseEncryptionKey: keyIn("us-central1"),
                },
                `${PROJECT}:gkeDatabaseEncryptionKey must be a Cloud KMS key in europe-west1, the region of ` +
                    `${PROJECT}:gkeLocation (got "${keyIn("us-central1")}")`,
            ],
            ...["nodes", "three-tier-review@developer.gserviceaccount.com"].map(
                (account): [string, RawConfig, string] => [
                    `a review stacks' account that is not a service account email: "${account}"`,
                    { ...GKE, gkeReviewServiceAccount: account },
                    `${PROJECT}:gkeReviewServiceAccount must be empty (no review stacks) or the email ` +
                        "<id>@<project>.iam.gserviceaccount.com of the service account review stacks deploy as " +
                        `(got "${account}")`,
                ],
            ),
            [
                "gke with an unknown release channel",
                { ...GKE, gkeReleaseChannel: "beta" },
                `${PROJECT}:gkeReleaseChannel must be one of RAPID, REGULAR, STABLE, EXTENDED (got "beta")`,
            ],
            [
                "gke node count outside the autoscaling range",
                { ...GKE, gkeNodeCount: "6" },
                `${PROJECT}:gkeNodeCount must lie within ${PROJECT}:gkeMinNodeCount..${PROJECT}:gkeMaxNodeCount (got 6 within 1..4)`,
            ],
            [
                "a relative redisHostPath",
                { redisHostPath: "data/redis" },
                `${PROJECT}:redisHostPath must be empty, or an absolute directory path without . or .. parts (got "data/redis")`,
            ],
            [
                "a redisHostPath that climbs out",
                { redisHostPath: "/tmp/../etc" },
                `${PROJECT}:redisHostPath must be empty, or an absolute directory path without . or .. parts (got "/tmp/../etc")`,
            ],
            [
                "redisHostPath with a StorageClass",
                { redisHostPath: "/tmp/hostpath_pv/redis", redisStorageClass: "standard" },
                `${PROJECT}:redisHostPath and ${PROJECT}:redisStorageClass exclude each other: set one`,
            ],
            [
                "redisHostPath on gke",
                { ...GKE, redisHostPath: "/mnt/redis" },
                `${PROJECT}:redisHostPath must be empty when target is gke: a node's directory goes with the node`,
            ],
            ["protect not a boolean", { protect: "yes" }, `${PROJECT}:protect must be true or false (got "yes")`],
            [
                "the retired gkeDeletionProtection, which must not silently stop protecting",
                { ...GKE, gkeDeletionProtection: "true" },
                `${PROJECT}:gkeDeletionProtection is replaced by ${PROJECT}:protect (which also protects the node pool ` +
                    "and the Redis claim): run pulumi config rm gkeDeletionProtection and pulumi config set protect <true|false>",
            ],
            [
                "a StorageClass on gke, where Redis has its own disk",
                { ...GKE, redisStorageClass: "premium-rwo" },
                `${PROJECT}:redisStorageClass must be empty when target is gke: Redis is on the program's own ` +
                    "pd-balanced disk (gkeDataZone)",
            ],
            [
                "a regional cluster without a zone for the Redis disk",
                { ...GKE, gkeLocation: "us-east1", gkeDatabaseEncryptionKey: keyIn("us-east1") },
                `${PROJECT}:gkeDataZone must be a zone of us-east1 (the Redis disk's; required for a regional cluster) (got "")`,
            ],
            [
                "a Redis disk zone outside the cluster's region",
                {
                    ...GKE,
                    gkeLocation: "us-east1",
                    gkeDataZone: "us-west1-a",
                    gkeDatabaseEncryptionKey: keyIn("us-east1"),
                },
                `${PROJECT}:gkeDataZone must be a zone of us-east1 (the Redis disk's; required for a regional cluster) (got "us-west1-a")`,
            ],
            [
                "a Redis disk zone other than a zonal cluster's",
                { ...GKE, gkeDataZone: "us-central1-b" },
                `${PROJECT}:gkeDataZone must be empty or us-central1-a, the cluster's zone (got "us-central1-b")`,
            ],
            [
                "target stack without clusterStack",
                { target: "stack" },
                `${PROJECT}:clusterStack must be a fully qualified stack name <org>/<project>/<stack>, such as ` +
                    `organization/three-tier-app/gke (required when target is stack) (got "")`,
            ],
            ...["gke", "three-tier-app/gke", "organization//gke", "org/three-tier-app/gke/x", "-org/p/s"].map(
                (clusterStack): [string, RawConfig, string] => [
                    `a clusterStack that is not <org>/<project>/<stack>: ${clusterStack}`,
                    { target: "stack", clusterStack },
                    `${PROJECT}:clusterStack must be a fully qualified stack name <org>/<project>/<stack>, such as ` +
                        `organization/three-tier-app/gke (required when target is stack) (got "${clusterStack}")`,
                ],
            ),
            [
                "a clusterStack that is the stack itself",
                { target: "stack", clusterStack: `organization/${PROJECT}/${STACK}` },
                `${PROJECT}:clusterStack must be another stack than this one, which owns the cluster ` +
                    `(got "organization/${PROJECT}/${STACK}")`,
            ],
            [
                "clusterStack with another target",
                { clusterStack: "organization/three-tier-app/gke" },
                `${PROJECT}:clusterStack must be empty unless target is stack (got "organization/three-tier-app/gke")`,
            ],
            ...(
                [
                    ["gkeLocation", "europe-west1-b"],
                    ["gkeMode", "autopilot"],
                    ["gkeNodeCount", "3"],
                    ["gkeIpEndpoint", "true"],
                    ["gkeReviewServiceAccount", "three-tier-review@my-project.iam.gserviceaccount.com"],
                    ["gkeNodeServiceAccount", "three-tier-nodes@my-project.iam.gserviceaccount.com"],
                    ["gkeDatabaseEncryptionKey", keyIn("us-central1")],
                    ["kubeContext", "gke_p_z_c"],
                    ["kubeconfig", "/tmp/gke.kubeconfig"],
                    ["imageRegistry", "172.31.255.2:5000/three-tier-app"],
                    ["reviewStacks", "true"],
                ] as const
            ).map(([key, value]): [string, RawConfig, string] => [
                `${key} with target stack, whose cluster is the other stack's`,
                { target: "stack", clusterStack: "organization/three-tier-app/gke", [key]: value },
                `${PROJECT}:${key} does not apply when target is stack (the cluster is ${PROJECT}:clusterStack's): ` +
                    `remove it (got "${value}")`,
            ]),
            [
                "reviewStacks on a context no kubeconfig has",
                { reviewStacks: "true", kubeconfig: "clusters: []\ncontexts: []\n", kubeContext: "nowhere" },
                `${PROJECT}:reviewStacks needs the API server of ${PROJECT}:kubeContext "nowhere", which no ` +
                    `kubeconfig read (${PROJECT}:kubeconfig, $KUBECONFIG or ~/.kube/config) has`,
            ],
            [
                "an image registry without a path",
                { imageRegistry: "localhost:5000" },
                `${PROJECT}:imageRegistry must be a repository prefix host[:port]/path such as ` +
                    `localhost:5000/three-tier-app (got "localhost:5000")`,
            ],
            [
                "imageRegistry on gke, whose images go to its own Artifact Registry repository",
                { ...GKE, imageRegistry: "registry.example.com/app" },
                `${PROJECT}:imageRegistry does not apply when target is gke (images go to the Artifact Registry ` +
                    `repository the stack creates): remove it (got "registry.example.com/app")`,
            ],
            [
                "protect with target stack, a namespace that destroy must remove",
                { target: "stack", clusterStack: "organization/three-tier-app/gke", protect: "true" },
                `${PROJECT}:protect must be false when target is stack: the stack is a namespace in a cluster ` +
                    `another stack owns and protects (${PROJECT}:clusterStack)`,
            ],
            [
                "redisHostPath with target stack",
                { target: "stack", clusterStack: "organization/three-tier-app/gke", redisHostPath: "/mnt/redis" },
                `${PROJECT}:redisHostPath must be empty when target is stack: a PersistentVolume is cluster-level, ` +
                    `and the cluster is ${PROJECT}:clusterStack's`,
            ],
            [
                "an unknown GKE mode",
                { ...GKE, gkeMode: "serverless" },
                `${PROJECT}:gkeMode must be one of standard, autopilot (got "serverless")`,
            ],
            [
                "Autopilot in a zone",
                {
                    ...GKE,
                    gkeMode: "autopilot",
                    gkeLocation: "us-east1-b",
                    gkeDatabaseEncryptionKey: keyIn("us-east1"),
                },
                `${PROJECT}:gkeLocation must be a region such as us-east1 when ${PROJECT}:gkeMode is autopilot (got "us-east1-b")`,
            ],
            [
                "authorized networks without the IP endpoint they limit",
                { ...GKE, gkeAuthorizedNetworks: "203.0.113.0/24" },
                `${PROJECT}:gkeAuthorizedNetworks must be empty unless ${PROJECT}:gkeIpEndpoint is true: authorized ` +
                    `networks limit the control plane's IP endpoint; its DNS endpoint admits callers by IAM (got "203.0.113.0/24")`,
            ],
            [
                "an IP endpoint setting that is not a boolean",
                { ...GKE, gkeIpEndpoint: "yes" },
                `${PROJECT}:gkeIpEndpoint must be true or false (got "yes")`,
            ],
            [
                "private nodes not a boolean",
                { ...GKE, gkePrivateNodes: "on" },
                `${PROJECT}:gkePrivateNodes must be true or false (got "on")`,
            ],
            ...["203.0.113.0", "203.0.113.0/33", "203.0.113.1/24", "2001:db8::/32", "10.0.0.0/8/1", "any"].map(
                (cidr): [string, RawConfig, string] => [
                    `an authorized network that is not an IPv4 network: ${cidr}`,
                    { ...GKE, gkeIpEndpoint: "true", gkeAuthorizedNetworks: `10.0.0.0/8,${cidr}` },
                    `${PROJECT}:gkeAuthorizedNetworks must be empty, or up to 50 comma-separated IPv4 CIDRs such as ` +
                        `203.0.113.0/24 with no bits set after the prefix (got "10.0.0.0/8,${cidr}")`,
                ],
            ),
            [
                "more authorized networks than GKE allows",
                {
                    ...GKE,
                    gkeIpEndpoint: "true",
                    gkeAuthorizedNetworks: Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`).join(","),
                },
                `${PROJECT}:gkeAuthorizedNetworks must be empty, or up to 50 comma-separated IPv4 CIDRs such as ` +
                    `203.0.113.0/24 with no bits set after the prefix (got "${Array.from(
                        { length: 51 },
                        (_, i) => `10.0.${i}.0/24`,
                    ).join(",")}")`,
            ],
        ];
        for (const [title, raw, message] of cases) {
            it(title, () => assert.deepEqual(problemsOf(raw), [message]));
        }

        it("gke with nothing set: every setting it requires, each named", () =>
            assert.deepEqual(problemsOf({ target: "gke" }), [
                `gcp:project must be a Google Cloud project id (required when target is gke) (got "")`,
                `${PROJECT}:gkeNodeServiceAccount must be a service account email <id>@<project>.iam.gserviceaccount.com, ` +
                    `the bootstrap stack's nodeServiceAccount output (required when target is gke) (got "")`,
                `${PROJECT}:gkeDatabaseEncryptionKey must be a Cloud KMS key projects/<project>/locations/<location>/` +
                    "keyRings/<ring>/cryptoKeys/<key>, the bootstrap stack's gkeDatabaseEncryptionKey output (required " +
                    'when target is gke) (got "")',
            ]));

        it("a stack name that cannot be the instance label", () =>
            assert.deepEqual(problemsOf({}, "_" + "x".repeat(70)), [
                "the stack name must be a Kubernetes label value (it becomes app.kubernetes.io/instance): at most 63 " +
                    `letters, digits, '-', '_' or '.', starting and ending with a letter or digit (got "_${"x".repeat(70)}")`,
            ]));

        it("reports every problem at once", () => {
            const problems = problemsOf({ frontendReplicas: "0", backendReplicas: "-1", frontendServiceType: "x" });
            assert.equal(problems.length, 3);
            assert.match(new ConfigError(problems).message, /^invalid stack configuration:\n {2}- .*frontendReplicas/);
        });
    });

    describe("Pulumi.yaml and the README say what CONFIG_KEYS declares", () => {
        const project = parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
        const declared: Record<string, unknown> = project.config;
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const rows = readme
            .split("\n## Configuration\n")[1]
            .split("\n## ")[0]
            .split("\n")
            .filter((line) => line.startsWith("| `"));
        const keyOf = (row: string) => /^\| `([^`]+)`/.exec(row)?.[1];
        const specs = Object.entries<ConfigKeySpec<unknown>>(CONFIG_KEYS);

        it("Pulumi.yaml: every key, in CONFIG_KEYS' order", () =>
            assert.deepEqual(Object.keys(declared), Object.keys(CONFIG_KEYS)));

        it("Pulumi.yaml: each key's type, default and description (with its range)", () => {
            for (const [key, spec] of specs) {
                const expected = { type: spec.type, default: declaredDefault(spec), description: documented(spec) };
                assert.deepEqual(declared[key], expected, key);
            }
        });

        it("README: a row for every key, in CONFIG_KEYS' order, and for gcp:project, the provider's key it reads", () => {
            assert.deepEqual(
                rows.map(keyOf).filter((key) => key !== "gcp:project"),
                Object.keys(CONFIG_KEYS),
            );
            assert.deepEqual(
                rows.map(keyOf).filter((key) => key === undefined || !(key in CONFIG_KEYS)),
                ["gcp:project"],
            );
        });

        it("README: each key's type, default and description (with its range)", () => {
            for (const [key, spec] of specs) {
                const shown = declaredDefault(spec) === "" ? '""' : String(declaredDefault(spec));
                const type = `${spec.secret ? "secret " : ""}${spec.type}`;
                const expected = `| \`${key}\` | ${type} | \`${shown}\` | ${documented(spec)} |`;
                assert.equal(
                    rows.find((row) => keyOf(row) === key),
                    expected,
                    key,
                );
            }
        });

        it("names the project whose keys config.ts reads", () => assert.equal(project.name, PROJECT));
    });
});
