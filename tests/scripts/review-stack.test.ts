import * as assert from "node:assert/strict";
import {
    clusterAccess,
    ClusterAccess,
    Invocation,
    leftoverReport,
    main,
    NamespaceState,
    parseArgs,
    reviewConfig,
    reviewStackName,
    USAGE,
} from "../../scripts/review-stack";

describe("review-stack", () => {
    describe("parseArgs", () => {
        const ok: [string[], Invocation][] = [
            [["create", "alice"], { command: "create", stack: "review-alice", from: "dev", policy: true }],
            [
                ["create", "review-alice", "--from", "gke"],
                { command: "create", stack: "review-alice", from: "gke", policy: true },
            ],
            [["preview", "pr-12"], { command: "preview", stack: "review-pr-12", from: "dev", policy: true }],
            [["up", "alice", "--no-policy"], { command: "up", stack: "review-alice", from: "dev", policy: false }],
            [["destroy", "alice"], { command: "destroy", stack: "review-alice", from: "dev", policy: true }],
        ];
        for (const [argv, invocation] of ok) it(argv.join(" "), () => assert.deepEqual(parseArgs(argv), invocation));

        const bad: [string[], string][] = [
            [[], 'unknown command ""'],
            [["deploy", "alice"], 'unknown command "deploy"'],
            [["up"], "up needs a name"],
            [["up", "--no-policy"], "up needs a name"],
            [["create", "alice", "--from"], "--from needs a stack name"],
            [["create", "alice", "--no-policy"], 'unexpected argument "--no-policy" for create'],
            [["destroy", "alice", "--from", "dev"], 'unexpected argument "--from" for destroy'],
            [["up", "alice", "extra"], 'unexpected argument "extra" for up'],
            [
                ["create", "Alice"],
                "name must be lowercase letters, digits and '-', starting and ending with a letter or digit, " +
                    'at most 56 characters (got "Alice")',
            ],
        ];
        for (const [argv, problem] of bad) {
            it(`refuses: ${argv.join(" ") || "(nothing)"}`, () =>
                assert.throws(() => parseArgs(argv), { name: "UsageError", message: `${problem}\n${USAGE}` }));
        }
    });

    describe("reviewStackName", () => {
        const cases: [string, string | undefined][] = [
            ["alice", "review-alice"],
            ["review-alice", "review-alice"],
            ["a", "review-a"],
            ["x".repeat(56), `review-${"x".repeat(56)}`],
            ["x".repeat(57), undefined],
            ["-alice", undefined],
            ["alice-", undefined],
            ["al_ice", undefined],
            ["review-", undefined],
        ];
        for (const [name, stack] of cases) {
            it(name, () => {
                if (stack === undefined) assert.throws(() => reviewStackName(name), { name: "UsageError" });
                else assert.equal(reviewStackName(name), stack);
            });
        }
    });

    it("copies the keys set in the source stack, not project defaults, and sets the namespace", () => {
        const source = {
            "three-tier-app:namespace": { value: "three-tier", secret: false },
            "three-tier-app:kubeContext": { value: "kind-dev", secret: false },
            "three-tier-app:redisPassword": { value: "s3cret", secret: true },
            "three-tier-app:redisImage": { value: "redis:7.4.2-alpine", secret: false },
            "gcp:project": { value: "my-project", secret: false },
        };
        const setKeys = ["three-tier-app:kubeContext", "redisPassword", "gcp:project", "three-tier-app:namespace"];
        assert.deepEqual(reviewConfig(source, setKeys, "review-alice"), {
            "three-tier-app:kubeContext": { value: "kind-dev", secret: false },
            "three-tier-app:redisPassword": { value: "s3cret", secret: true },
            "gcp:project": { value: "my-project", secret: false },
            "three-tier-app:namespace": { value: "review-alice", secret: false },
        });
        assert.equal(source["three-tier-app:namespace"].value, "three-tier");
    });

    describe("clusterAccess", () => {
        const value = (v: string) => ({ value: v, secret: false });
        const cases: [string, Record<string, { value: string; secret: boolean }>, ClusterAccess][] = [
            [
                "defaults: minikube through the default kubeconfig",
                {},
                { kind: "kubeconfig", kubeconfig: undefined, context: "minikube" },
            ],
            [
                "a kubeconfig file and context",
                { "three-tier-app:kubeconfig": value("/tmp/kc"), "three-tier-app:kubeContext": value("kind-x") },
                { kind: "kubeconfig", kubeconfig: "/tmp/kc", context: "kind-x" },
            ],
            [
                "an empty kubeconfig means the default",
                { "three-tier-app:kubeconfig": value("") },
                { kind: "kubeconfig", kubeconfig: undefined, context: "minikube" },
            ],
            ["gke: the stack's own cluster", { "three-tier-app:target": value("gke") }, { kind: "own-cluster" }],
            [
                "stack: the cluster of the stack it names",
                {
                    "three-tier-app:target": value("stack"),
                    "three-tier-app:clusterStack": value("organization/three-tier-app/gke"),
                },
                { kind: "cluster-stack", clusterStack: "organization/three-tier-app/gke" },
            ],
        ];
        for (const [name, config, access] of cases) it(name, () => assert.deepEqual(clusterAccess(config), access));
    });

    describe("leftoverReport", () => {
        const pvc = {
            kind: "PersistentVolumeClaim",
            name: "redis-data",
            finalizers: ["kubernetes.io/pvc-protection"],
            deleting: true,
        };
        const cases: [string, NamespaceState, { clean: boolean; lines: string[] }][] = [
            [
                "nothing left",
                { objects: [] },
                { clean: true, lines: ["namespace review-a is gone; nothing was left behind"] },
            ],
            [
                "a terminating namespace held by a claim",
                { namespace: { phase: "Terminating", finalizers: ["kubernetes"] }, objects: [pvc] },
                {
                    clean: false,
                    lines: [
                        "namespace review-a still exists (phase Terminating, finalizers: kubernetes) and holds 1 object(s):",
                        "  PersistentVolumeClaim/redis-data (being deleted; held by finalizers: kubernetes.io/pvc-protection)",
                    ],
                },
            ],
            [
                "an empty namespace that was not deleted",
                { namespace: { phase: "Active", finalizers: [] }, objects: [] },
                { clean: false, lines: ["namespace review-a still exists (phase Active) and holds 0 object(s)"] },
            ],
            [
                "a retained volume outliving its namespace",
                {
                    objects: [
                        {
                            kind: "PersistentVolume",
                            name: "pvc-0b1c",
                            finalizers: [],
                            deleting: false,
                            detail: "claim review-a/redis-data, Released, reclaim policy Retain",
                        },
                    ],
                },
                {
                    clean: false,
                    lines: [
                        "namespace review-a is gone, but 1 object(s) of it remain:",
                        "  PersistentVolume/pvc-0b1c (claim review-a/redis-data, Released, reclaim policy Retain)",
                    ],
                },
            ],
        ];
        for (const [name, state, report] of cases)
            it(name, () => assert.deepEqual(leftoverReport("review-a", state), report));
    });

    it("exits 2 on a usage error, before touching the engine", async () => {
        const errors: string[] = [];
        const original = console.error;
        console.error = (message: string) => errors.push(message);
        try {
            assert.equal(await main(["deploy", "alice"]), 2);
        } finally {
            console.error = original;
        }
        assert.deepEqual(errors, [`unknown command "deploy"\n${USAGE}`]);
    });
});
