import * as assert from "node:assert/strict";
import { operation, pulumiArgs } from "../../../tools/pipeline/commands";

const COMMON = ["--stack", "gke", "--non-interactive", "--color", "never", "--suppress-progress"];

describe("pipeline: pulumi command lines", () => {
    const cases: [string, string[], string[]][] = [
        [
            "preview under the policy pack",
            pulumiArgs("preview", "gke"),
            ["preview", "--diff", "--policy-pack", "policy", ...COMMON],
        ],
        [
            "up under the policy pack and the stack's policy config",
            pulumiArgs("up", "gke", { policyConfig: "policy/config/gke.json" }),
            [
                "up",
                "--yes",
                "--diff",
                "--policy-pack",
                "policy",
                "--policy-pack-config",
                "policy/config/gke.json",
                ...COMMON,
            ],
        ],
        ["destroy keeps the stack", pulumiArgs("destroy", "gke"), ["destroy", "--yes", ...COMMON]],
        [
            "destroy of a review stack removes it",
            pulumiArgs("destroy", "gke", { remove: true }),
            ["destroy", "--yes", "--remove", ...COMMON],
        ],
        [
            "drift: a refreshing preview that fails on any change",
            pulumiArgs("drift", "gke"),
            ["preview", "--refresh", "--expect-no-changes", "--diff", ...COMMON],
        ],
    ];
    for (const [name, args, expected] of cases) it(name, () => assert.deepEqual(args, expected));

    it("refuses an unknown operation", () =>
        assert.throws(() => operation("refresh"), {
            message: 'unknown operation "refresh": expected preview, up, destroy, drift',
        }));
});
