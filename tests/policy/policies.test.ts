import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    DEFAULT_ALLOW_ROOT_WORKLOADS,
    DEFAULT_DESTROYABLE_STACKS,
    DEFAULT_EXPOSABLE_SERVICES,
    DEFAULT_LONG_LIVED_STACKS,
    gkeCluster,
    gkeHardening,
    internalServices,
    nonRoot,
    pinnedImages,
    POLICIES,
    probesAndResources,
    redisPersistence,
    sharedClusterGuest,
} from "../../policy/policies";
import { validateResource, validateStack } from "./helpers";

const POLICY_DIR = path.join(__dirname, "..", "..", "policy");

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const rootNginx = {
    metadata: { name: "frontend" },
    spec: {
        template: {
            spec: {
                securityContext: { runAsNonRoot: false },
                containers: [
                    { name: "nginx", image: "nginx:latest", securityContext: { allowPrivilegeEscalation: false } },
                ],
            },
        },
    },
};
const ROOT_MESSAGE =
    'container "nginx" may run as root: set runAsNonRoot: true or a non-zero runAsUser in the pod or container securityContext';
const cluster = (stack: string) => ({
    type: "gcp:container/cluster:Cluster",
    urn: `urn:pulumi:${stack}::three-tier-app::gcp:container/cluster:Cluster::cluster`,
    props: { deletionProtection: false, workloadIdentityConfig: { workloadPool: "p.svc.id.goog" } },
});

describe("policy pack wiring", () => {
    it("has every policy once, each with a description", () => {
        assert.deepEqual(
            POLICIES.map((p) => p.name),
            [
                "containers-have-probes-and-resources",
                "images-are-pinned",
                "containers-run-as-non-root",
                "only-frontend-is-exposed",
                "redis-is-persistent",
                "gke-cluster-hygiene",
                "gke-cluster-is-hardened",
                "gke-nodes-are-least-privilege",
                "shared-cluster-guest-stays-in-its-namespace",
                "gke-images-come-from-the-stacks-registry",
            ],
        );
        for (const p of POLICIES) assert.notEqual(p.description, "");
    });

    it("declares each config default in the schema as the code applies it", () => {
        assert.deepEqual(nonRoot.configSchema?.properties.allowRootWorkloads.default, DEFAULT_ALLOW_ROOT_WORKLOADS);
        assert.deepEqual(
            internalServices.configSchema?.properties.exposableServices.default,
            DEFAULT_EXPOSABLE_SERVICES,
        );
        assert.deepEqual(gkeCluster.configSchema?.properties.destroyableStacks.default, DEFAULT_DESTROYABLE_STACKS);
        assert.deepEqual(gkeCluster.configSchema?.properties.longLivedStacks.default, DEFAULT_LONG_LIVED_STACKS);
    });

    it("checks workloads for probes, resources and pinned images", () => {
        assert.deepEqual(validateResource(probesAndResources, { type: DEPLOYMENT, props: rootNginx }), [
            'container "nginx" has no readinessProbe',
            'container "nginx" has no livenessProbe',
            'container "nginx" has no resources.requests.cpu',
            'container "nginx" has no resources.requests.memory',
            'container "nginx" has no resources.limits.memory',
        ]);
        assert.deepEqual(validateResource(pinnedImages, { type: DEPLOYMENT, props: rootNginx }), [
            'container "nginx" image "nginx:latest" uses the mutable "latest" tag: pin a version tag or a digest',
        ]);
    });

    it("lets a workload run as root only when the policy config lists it", () => {
        assert.deepEqual(validateResource(nonRoot, { type: DEPLOYMENT, props: rootNginx }), [ROOT_MESSAGE]);
        assert.deepEqual(
            validateResource(
                nonRoot,
                { type: DEPLOYMENT, props: rootNginx },
                { allowRootWorkloads: ["Deployment/frontend"] },
            ),
            [],
        );
        assert.deepEqual(validateResource(nonRoot, { type: "kubernetes:core/v1:Service", props: rootNginx }), []);
    });

    it("ships an example config for the tutorial's root frontend", () => {
        const config = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "examples", "tutorial-frontend.json"), "utf8"));
        assert.deepEqual(validateResource(nonRoot, { type: DEPLOYMENT, props: rootNginx }, config[nonRoot.name]), []);
    });

    it("exposes only the configured Services", () => {
        const api = {
            type: "kubernetes:core/v1:Service",
            props: { metadata: { name: "app" }, spec: { type: "NodePort" } },
        };
        assert.deepEqual(validateResource(internalServices, api), [
            'Service "app" is reachable from outside the cluster (type NodePort), but only "nginx" may be: use type ClusterIP',
        ]);
        assert.deepEqual(validateResource(internalServices, api, { exposableServices: ["nginx", "app"] }), []);
    });

    it("reads the stack from the cluster's URN, the stack roles from config and protect from the options", () => {
        assert.deepEqual(validateResource(gkeCluster, cluster("gke")), []);
        assert.deepEqual(validateResource(gkeCluster, cluster("gke"), { longLivedStacks: ["gke"] }), [
            'deletionProtection is false on stack "gke", a long-lived stack (matches "gke"): set it true',
        ]);
        assert.deepEqual(validateResource(gkeCluster, cluster("pr-3"), { destroyableStacks: ["dev"] }), []);
        const reported: string[] = [];
        const args = { ...cluster("gke"), opts: { protect: true }, getConfig: () => ({}) };
        void (gkeCluster.validateResource as (a: unknown, r: (m: string) => void) => void)(args, (m) =>
            reported.push(m),
        );
        assert.deepEqual(reported, [
            "Pulumi protect is on but deletionProtection is false: the cluster can still be deleted outside " +
                "Pulumi; protect both or neither",
        ]);
        assert.deepEqual(
            validateResource(gkeCluster, { ...cluster("gke"), type: "gcp:container/nodePool:NodePool" }),
            [],
        );
    });

    it("checks GKE clusters and node pools for encryption, accounts, maintenance and labels", () => {
        assert.equal(validateResource(gkeHardening, cluster("gke")).length, 4);
        assert.deepEqual(
            validateResource(gkeHardening, { type: "gcp:container/nodePool:NodePool", props: { nodeConfig: {} } }),
            [
                "nodeConfig.resourceLabels lack part-of, stack: label the node VMs with what they are part of and " +
                    "their stack",
            ],
        );
        assert.deepEqual(validateResource(gkeHardening, { type: DEPLOYMENT, props: rootNginx }), []);
    });

    it("hands the shared-cluster rule each resource's name and protect option", () =>
        assert.deepEqual(
            validateStack(sharedClusterGuest, [
                { type: "pulumi:pulumi:StackReference", name: "stack-reference", props: {} },
                {
                    type: "kubernetes:core/v1:Namespace",
                    name: "web-namespace",
                    props: { metadata: { name: "pr-7" } },
                    opts: { protect: true },
                },
            ]),
            [
                "kubernetes:core/v1:Namespace web-namespace is protected in a stack that deploys into another " +
                    "stack's cluster (a StackReference): pulumi destroy must remove the whole namespace; protection " +
                    "belongs to the cluster's stack",
            ],
        ));

    it("checks Redis across the stack", () => {
        assert.deepEqual(validateStack(redisPersistence, []), [
            "no StatefulSet runs Redis (a container whose image is redis): run Redis as a StatefulSet on a PersistentVolumeClaim",
        ]);
    });
});
