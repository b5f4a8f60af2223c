import * as assert from "node:assert/strict";
import { ClusterProps, gkeClusterViolations } from "../../policy/rules/gke";
import { stackMatches, stackOfUrn } from "../../policy/rules/stacks";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const DESTROYABLE = ["dev", "gke", "pr-*", "review-*", "e2e-*"];
const PATTERNS = '"dev", "gke", "pr-*", "review-*", "e2e-*"';

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
    const cases: [string, ClusterProps, string, string[]][] = [
        ["the program's cluster on the gke stack", GOOD, "gke", []],
        ["a review stack's cluster", GOOD, "pr-7", []],
        ["a protected cluster on a production stack", { ...GOOD, deletionProtection: true }, "prod", []],
        [
            "protection left to the provider default on a production stack",
            { ...GOOD, deletionProtection: undefined },
            "prod",
            [],
        ],
        [
            "an unprotected cluster on a production stack",
            GOOD,
            "prod",
            [
                `deletionProtection is false on stack "prod", which matches none of the destroyable stacks (${PATTERNS}): ` +
                    "set deletionProtection: true, or add the stack to the policy config destroyableStacks",
            ],
        ],
        [
            "a protected cluster on a review stack",
            { ...GOOD, deletionProtection: undefined },
            "review-alice",
            [
                'deletionProtection is true on stack "review-alice", a destroyable stack (matches "review-*"): ' +
                    "set deletionProtection: false so that pulumi destroy can delete the cluster",
            ],
        ],
        [
            "no Workload Identity, legacy ABAC, basic auth",
            {
                deletionProtection: false,
                enableLegacyAbac: true,
                masterAuth: { username: "admin", password: "hunter2" },
            },
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
            "gke",
            ['Workload Identity is off: set workloadIdentityConfig.workloadPool to "<project>.svc.id.goog"'],
        ],
        [
            "preview: an unknown workload pool is skipped",
            previewProps({ ...GOOD, workloadIdentityConfig: { workloadPool: UNKNOWN_STRING } }),
            "gke",
            [],
        ],
    ];
    for (const [name, props, stack, expected] of cases) {
        it(name, () => assert.deepEqual(gkeClusterViolations(props, stack, DESTROYABLE), expected));
    }
});
