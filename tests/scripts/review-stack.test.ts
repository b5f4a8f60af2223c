import * as assert from "node:assert/strict";
import { Invocation, main, parseArgs, USAGE } from "../../scripts/review-stack";

describe("review-stack", () => {
    describe("parseArgs", () => {
        const ok: [string[], Invocation][] = [
            [["preview", "42"], { op: "preview", pullRequest: 42, clusterStack: "gke" }],
            [["up", "7", "--cluster-stack", "local"], { op: "up", pullRequest: 7, clusterStack: "local" }],
            [["destroy", "7"], { op: "destroy", pullRequest: 7, clusterStack: "gke" }],
        ];
        for (const [argv, invocation] of ok) it(argv.join(" "), () => assert.deepEqual(parseArgs(argv), invocation));

        const bad: [string[], string][] = [
            [[], 'unknown operation ""'],
            [["create", "7"], 'unknown operation "create"'],
            [["drift", "7"], 'unknown operation "drift"'],
            [["up"], 'up needs a pull request number, got ""'],
            [["up", "pr-7"], 'up needs a pull request number, got "pr-7"'],
            [["up", "07"], 'up needs a pull request number, got "07"'],
            [["up", "7", "--cluster-stack"], 'unexpected arguments "--cluster-stack"'],
            [["up", "7", "--cluster-stack", "--no-policy"], 'unexpected arguments "--cluster-stack --no-policy"'],
            [["up", "7", "--no-policy"], 'unexpected arguments "--no-policy"'],
            [["up", "7", "--cluster-stack", "gke", "extra"], 'unexpected arguments "--cluster-stack gke extra"'],
        ];
        for (const [argv, problem] of bad) {
            it(`refuses: ${argv.join(" ") || "(nothing)"}`, () =>
                assert.throws(() => parseArgs(argv), { message: `${problem}\n${USAGE}` }));
        }
    });

    it("exits 2 on a usage error, before touching the engine", async () => {
        const errors: string[] = [];
        const original = console.error;
        console.error = (message: string) => errors.push(message);
        try {
            assert.equal(await main(["deploy", "7"]), 2);
        } finally {
            console.error = original;
        }
        assert.deepEqual(errors, [`unknown operation "deploy"\n${USAGE}`]);
    });
});
