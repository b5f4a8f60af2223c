import * as assert from "node:assert/strict";
import {
    CLUSTER_TYPE,
    ClusterProps,
    gkeClusterViolations,
    gkeHardeningViolations,
    gkeNodeViolations,
    NODE_POOL_TYPE,
    NodePoolProps,
    StackRoles,
} from "../../policy/rules/gke";
import { stackMatches, stackOfUrn } from "../../policy/rules/stacks";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const ROLES: StackRoles = { destroyable: ["dev", "pr-*", "e2e-*"], longLived: ["gke", "prod-*"] };

/** What the program registers: destroyable, Workload Identity on, nothing legacy. */
const GOOD: ClusterProps = {
    deletionProtection: false,
    workloadIdentityConfig: { workloadPool: "my-gcp-project.svc.id.goog" },
    enableLegacyAbac: false,
};

describe("policy: stack names", () => {
    it("reads the stack from a URN", () => {
        assert.equal(stackOfUrn("urn:pulumi:pr-12::three-tier-app::gcp:container/cluster:Cluster::cluster"), "pr-12");
        assert.throws(() => stackOfUrn("cluster"), { message: 'not a Pulumi resource URN: "cluster"' });
    });

    const cases: [string, string, boolean][] = [
        ["gke", "gke", true],
        ["gke", "gke-prod", false],
        ["pr-12", "pr-*", true],
        ["pr-", "pr-*", true],
        ["prod", "pr-*", false],
        ["e2e-alice", "*-alice", true],
        ["a.b", "a.b", true],
        ["axb", "a.b", false],
    ];
    for (const [stack, pattern, matches] of cases) {
        it(`${stack} ${matches ? "matches" : "does not match"} ${pattern}`, () =>
            assert.equal(stackMatches(stack, pattern), matches));
    }
});

describe("policy: gke-cluster-hygiene", () => {
    const PROTECTED: ClusterProps = { ...GOOD, deletionProtection: true };
    // [name, props, Pulumi protect, stack, violations]
    const cases: [string, ClusterProps, boolean | undefined, string, string[]][] = [
        ["a review stack's cluster, unprotected", GOOD, false, "pr-7", []],
        ["a long-lived stack protected both ways", PROTECTED, true, "gke", []],
        [
            "protection left to the provider default, with protect, on a long-lived stack",
            { ...GOOD, deletionProtection: undefined },
            true,
            "prod-eu",
            [],
        ],
        ["an unlisted stack protected both ways", PROTECTED, true, "staging", []],
        ["an unlisted stack protected neither way", GOOD, false, "staging", []],
        ["an unlisted stack, protect not reported", PROTECTED, undefined, "staging", []],
        [
            "an unprotected cluster on a long-lived stack",
            GOOD,
            false,
            "gke",
            [
                'deletionProtection is false on stack "gke", a long-lived stack (matches "gke"): set it true',
                'the cluster is not protected (Pulumi protect) on stack "gke", a long-lived stack (matches "gke"): protect it',
            ],
        ],
        [
            "a protected cluster on a review stack",
            { ...GOOD, deletionProtection: undefined },
            true,
            "pr-7",
            [
                'deletionProtection is true on stack "pr-7", a destroyable stack (matches "pr-*"): ' +
                    "set it false so that pulumi destroy can delete the cluster",
                'the cluster is protected (Pulumi protect) on stack "pr-7", a destroyable stack ' +
                    '(matches "pr-*"): pulumi destroy would refuse it',
            ],
        ],
        [
            "deletionProtection without Pulumi protect",
            PROTECTED,
            false,
            "staging",
            [
                "deletionProtection is true but Pulumi protect is off: pulumi destroy would delete the app and the " +
                    "node pool, then fail at the cluster; protect both or neither",
            ],
        ],
        [
            "Pulumi protect without deletionProtection",
            GOOD,
            true,
            "staging",
            [
                "Pulumi protect is on but deletionProtection is false: the cluster can still be deleted outside " +
                    "Pulumi; protect both or neither",
            ],
        ],
        [
            "no Workload Identity, legacy ABAC, basic auth",
            {
                deletionProtection: false,
                enableLegacyAbac: true,
                masterAuth: { username: "admin", password: "hunter2" },
            },
            false,
            "dev",
            [
                'Workload Identity is off: set workloadIdentityConfig.workloadPool to "<project>.svc.id.goog"',
                "enableLegacyAbac is true: authorize with RBAC only",
                "masterAuth sets a username or password (basic auth): remove them",
            ],
        ],
        [
            "an empty workload pool and empty basic auth fields",
            { ...GOOD, workloadIdentityConfig: { workloadPool: "" }, masterAuth: { username: "", password: "" } },
            false,
            "gke",
            [
                'deletionProtection is false on stack "gke", a long-lived stack (matches "gke"): set it true',
                'the cluster is not protected (Pulumi protect) on stack "gke", a long-lived stack (matches "gke"): protect it',
                'Workload Identity is off: set workloadIdentityConfig.workloadPool to "<project>.svc.id.goog"',
            ],
        ],
        [
            "preview: an unknown workload pool is skipped",
            previewProps({ ...GOOD, workloadIdentityConfig: { workloadPool: UNKNOWN_STRING } }),
            false,
            "pr-1",
            [],
        ],
    ];
    for (const [name, props, protect, stack, expected] of cases) {
        it(name, () => assert.deepEqual(gkeClusterViolations(props, protect, stack, ROLES), expected));
    }

    it("refuses a stack that the config lists as both destroyable and long-lived", () =>
        assert.deepEqual(gkeClusterViolations(GOOD, false, "pr-1", { destroyable: ["pr-*"], longLived: ["*-1"] }), [
            'stack "pr-1" matches both destroyableStacks ("pr-*") and longLivedStacks ("*-1"): ' +
                "remove it from one of them in the policy config",
        ]));
});

describe("policy: gke-cluster-hygiene, the GKE variants", () => {
    const PRIVATE: ClusterProps = { ...GOOD, privateClusterConfig: { enablePrivateNodes: true } };
    const OPEN_ENDPOINT =
        "private nodes behind a control-plane IP endpoint open to every address: list the networks that may reach " +
        "it in masterAuthorizedNetworksConfig.cidrBlocks (config gkeAuthorizedNetworks), turn it off " +
        "(controlPlaneEndpointsConfig.ipEndpointsConfig.enabled false, config gkeIpEndpoint false: the DNS " +
        "endpoint admits by IAM), or add the stack to the policy config openEndpointStacks";
    const DEFAULT_ACCOUNT =
        "Autopilot nodes run as the Compute Engine default service account (Editor on the project): set " +
        "clusterAutoscaling.autoProvisioningDefaults.serviceAccount to a dedicated account";
    const AUTOPILOT: ClusterProps = {
        ...GOOD,
        enableAutopilot: true,
        clusterAutoscaling: { autoProvisioningDefaults: { serviceAccount: "nodes@p.iam.gserviceaccount.com" } },
    };
    // [name, props, roles, violations]
    const cases: [string, ClusterProps, StackRoles, string[]][] = [
        ["public nodes, open endpoint (the default)", GOOD, ROLES, []],
        [
            "private nodes behind authorized networks",
            { ...PRIVATE, masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }] } },
            ROLES,
            [],
        ],
        ["private nodes, open endpoint", PRIVATE, ROLES, [OPEN_ENDPOINT]],
        [
            "private nodes, an empty list of networks",
            { ...PRIVATE, masterAuthorizedNetworksConfig: {} },
            ROLES,
            [OPEN_ENDPOINT],
        ],
        ["private nodes, open endpoint, the stack says why", PRIVATE, { ...ROLES, openEndpoint: ["pr-*"] }, []],
        [
            "private nodes, an open IP endpoint asked for",
            { ...PRIVATE, controlPlaneEndpointsConfig: { ipEndpointsConfig: { enabled: true } } },
            ROLES,
            [OPEN_ENDPOINT],
        ],
        [
            "private nodes, no IP endpoint: the DNS endpoint alone, which admits by IAM",
            { ...PRIVATE, controlPlaneEndpointsConfig: { ipEndpointsConfig: { enabled: false } } },
            ROLES,
            [],
        ],
        ["Autopilot with a dedicated account", AUTOPILOT, ROLES, []],
        ["Autopilot with no account", { ...GOOD, enableAutopilot: true }, ROLES, [DEFAULT_ACCOUNT]],
        [
            'Autopilot with "default"',
            { ...AUTOPILOT, clusterAutoscaling: { autoProvisioningDefaults: { serviceAccount: "default" } } },
            ROLES,
            [DEFAULT_ACCOUNT],
        ],
        [
            "preview: unknown authorized networks are skipped",
            previewProps({
                ...PRIVATE,
                masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: UNKNOWN_STRING }] },
            }),
            ROLES,
            [],
        ],
    ];
    for (const [name, props, roles, expected] of cases) {
        it(name, () => assert.deepEqual(gkeClusterViolations(props, false, "pr-1", roles), expected));
    }
});

describe("policy: gke-nodes-are-least-privilege", () => {
    const POOL: NodePoolProps = {
        nodeConfig: {
            serviceAccount: "nodes@p.iam.gserviceaccount.com",
            workloadMetadataConfig: { mode: "GKE_METADATA" },
        },
    };
    const pool = (props: NodePoolProps) => ({ type: NODE_POOL_TYPE, props });
    const cluster = (props: ClusterProps) => ({ type: CLUSTER_TYPE, props });
    const cases: [string, { type: string; props: unknown }[], string[]][] = [
        ["Standard with a dedicated account and the GKE metadata server", [cluster(GOOD), pool(POOL)], []],
        ["Autopilot, no node pool", [cluster({ ...GOOD, enableAutopilot: true })], []],
        [
            "Autopilot with a node pool",
            [cluster({ ...GOOD, enableAutopilot: true }), pool(POOL)],
            ["an Autopilot cluster with 1 node pool(s): Autopilot makes its own nodes, remove them"],
        ],
        [
            "a pool on the default account that shows pods the node's credentials",
            [
                cluster(GOOD),
                pool({ nodeConfig: { serviceAccount: "default", workloadMetadataConfig: { mode: "GCE_METADATA" } } }),
            ],
            [
                "a node pool runs as the Compute Engine default service account (Editor on the project): set " +
                    "nodeConfig.serviceAccount to a dedicated account",
                "a node pool shows pods the node's own credentials: set nodeConfig.workloadMetadataConfig.mode to GKE_METADATA",
            ],
        ],
        [
            "preview: a pool whose account is not known yet",
            [pool(previewProps({ nodeConfig: { ...POOL.nodeConfig, serviceAccount: UNKNOWN_STRING } }))],
            [],
        ],
        ["no GKE at all", [{ type: "kubernetes:core/v1:Service", props: {} }], []],
    ];
    for (const [name, resources, expected] of cases) {
        it(name, () => assert.deepEqual(gkeNodeViolations(resources), expected));
    }
});

describe("policy: gke-cluster-is-hardened", () => {
    const LABELS = { "part-of": "three-tier-app", stack: "gke" };
    /** What the program registers for a Standard cluster. */
    const HARDENED: ClusterProps = {
        ...GOOD,
        databaseEncryption: { state: "ENCRYPTED", keyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k" },
        nodeConfig: { serviceAccount: "nodes@p.iam.gserviceaccount.com" },
        maintenancePolicy: {
            recurringWindow: {
                startTime: "2025-01-04T02:00:00Z",
                endTime: "2025-01-04T10:00:00Z",
                recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
            },
        },
        resourceLabels: LABELS,
    };
    const NOT_ENCRYPTED =
        "Secrets are not encrypted at the application layer: set databaseEncryption to state ENCRYPTED with a " +
        "Cloud KMS keyName (config gkeDatabaseEncryptionKey)";
    const DEFAULT_POOL_ACCOUNT =
        "the default node pool a Standard cluster starts with runs as the Compute Engine default service account " +
        "(Editor on the project) until it is removed: set nodeConfig.serviceAccount to the nodes' account";
    const NO_WINDOW =
        "no maintenance window: GKE may upgrade the control plane and recreate nodes at any hour; set " +
        "maintenancePolicy.recurringWindow";
    const labelsLack = (missing: string) =>
        `resourceLabels lack ${missing}: label the cluster with what it is part of and its stack`;
    const cluster = (props: ClusterProps) => gkeHardeningViolations(CLUSTER_TYPE, props);

    // [name, props, violations]
    const cases: [string, ClusterProps, string[]][] = [
        ["a Standard cluster as the program makes it", HARDENED, []],
        [
            "Autopilot: no default pool, so no nodeConfig needed",
            { ...HARDENED, enableAutopilot: true, nodeConfig: undefined },
            [],
        ],
        ["a daily window is a window too", { ...HARDENED, maintenancePolicy: { dailyMaintenanceWindow: {} } }, []],
        [
            "nothing of it: the provider's defaults",
            GOOD,
            [NOT_ENCRYPTED, DEFAULT_POOL_ACCOUNT, NO_WINDOW, labelsLack("part-of, stack")],
        ],
        [
            "Secrets decrypted",
            { ...HARDENED, databaseEncryption: { state: "DECRYPTED", keyName: "" } },
            [NOT_ENCRYPTED],
        ],
        ["encrypted with no key named", { ...HARDENED, databaseEncryption: { state: "ENCRYPTED" } }, [NOT_ENCRYPTED]],
        [
            'the default pool on "default"',
            { ...HARDENED, nodeConfig: { serviceAccount: "default" } },
            [DEFAULT_POOL_ACCOUNT],
        ],
        ["a maintenance policy with no window", { ...HARDENED, maintenancePolicy: {} }, [NO_WINDOW]],
        ["an empty stack label", { ...HARDENED, resourceLabels: { ...LABELS, stack: "" } }, [labelsLack("stack")]],
        [
            "preview: a key not known yet is skipped",
            previewProps({
                ...HARDENED,
                databaseEncryption: { state: "ENCRYPTED", keyName: UNKNOWN_STRING },
            }),
            [],
        ],
    ];
    for (const [name, props, expected] of cases) {
        it(name, () => assert.deepEqual(cluster(props), expected));
    }

    it("node pools: their VMs carry the labels too", () => {
        const pool = (resourceLabels?: Record<string, string>) =>
            gkeHardeningViolations(NODE_POOL_TYPE, { nodeConfig: { resourceLabels } } satisfies NodePoolProps);
        assert.deepEqual(pool(LABELS), []);
        assert.deepEqual(pool({ stack: "gke" }), [
            "nodeConfig.resourceLabels lack part-of: label the node VMs with what they are part of and their stack",
        ]);
        assert.deepEqual(pool(undefined), [
            "nodeConfig.resourceLabels lack part-of, stack: label the node VMs with what they are part of and their stack",
        ]);
    });

    it("looks at nothing else", () => assert.deepEqual(gkeHardeningViolations("kubernetes:core/v1:Service", {}), []));
});
