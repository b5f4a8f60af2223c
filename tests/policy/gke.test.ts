import * as assert from "node:assert/strict";
import { ClusterProps, gkeClusterViolations, StackRoles } from "../../policy/rules/gke";
import { stackMatches, stackOfUrn } from "../../policy/rules/stacks";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const ROLES: StackRoles = { destroyable: ["dev", "pr-*", "review-*", "e2e-*"], longLived: ["gke", "prod-*"] };

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
        ["review-alice", "*-alice", true],
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
            "review-alice",
            [
                'deletionProtection is true on stack "review-alice", a destroyable stack (matches "review-*"): ' +
                    "set it false so that pulumi destroy can delete the cluster",
                'the cluster is protected (Pulumi protect) on stack "review-alice", a destroyable stack ' +
                    '(matches "review-*"): pulumi destroy would refuse it',
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
