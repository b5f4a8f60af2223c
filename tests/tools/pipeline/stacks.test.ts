import * as assert from "node:assert/strict";
import { OPERATIONS } from "../../../tools/pipeline/commands";
import { secretsProviderFor, selectDecision } from "../../../tools/pipeline/stacks";

// What the CLI 3.259.0 printed for each case (file and gs:// backends, no credentials).
const NOT_FOUND = { status: 6, output: "error: no stack named 'gke' found\n" };
const NO_CREDENTIALS = {
    status: 1,
    output: "error: missing google credentials: unable to find gcp credentials: google: could not find default credentials.\n",
};
const NO_BUCKET = {
    status: 1,
    output: 'error: unable to open state directory "file:///nonexistent/dir": stat /nonexistent/dir: no such file or directory\n',
};
const GKE_KEY = "gcpkms://projects/acme/locations/us-central1/keyRings/three-tier/cryptoKeys/gke-stack";
const REVIEW_KEY = "gcpkms://projects/acme/locations/us-central1/keyRings/three-tier/cryptoKeys/review-stacks";

describe("pipeline: selecting a stack", () => {
    for (const op of OPERATIONS) {
        it(`${op}: a stack that exists is selected`, () =>
            assert.deepEqual(selectDecision("gke", op, { status: 0, output: "" }), { action: "selected" }));
    }

    const absent: [(typeof OPERATIONS)[number], object][] = [
        ["up", { action: "create" }],
        ["destroy", { action: "absent", message: "Stack `gke` does not exist: nothing to destroy." }],
        [
            "preview",
            {
                action: "absent",
                message: "Stack `gke` does not exist yet: nothing to preview (the first deploy creates it).",
            },
        ],
        [
            "drift",
            {
                action: "absent",
                message: "Stack `gke` does not exist yet: nothing to check for drift (the first deploy creates it).",
            },
        ],
    ];
    for (const [op, decision] of absent) {
        it(`${op}: a stack the backend does not have`, () =>
            assert.deepEqual(selectDecision("gke", op, NOT_FOUND), decision));
    }

    it("a fully qualified name in the message is the same stack", () =>
        assert.equal(
            selectDecision("pr-4", "destroy", {
                status: 6,
                output: "error: no stack named 'organization/three-tier-app/pr-4' found\n",
            }).action,
            "absent",
        ));

    const failures: [string, string, { status: number; output: string }][] = [
        ["no Google credentials", "gke", NO_CREDENTIALS],
        ["no such bucket or directory", "gke", NO_BUCKET],
        ["another stack's name in the message", "gke", { status: 6, output: "error: no stack named 'gke-old' found" }],
        ["a stack whose name ends like this one", "gke", { status: 6, output: "error: no stack named 'xgke' found" }],
        ["not found, but another exit code", "gke", { status: 255, output: NOT_FOUND.output }],
        ["the not-found exit code for something else", "gke", { status: 6, output: "error: no stack selected" }],
    ];
    for (const [name, stack, result] of failures) {
        it(`fails, with the CLI's error: ${name}`, () => {
            for (const op of OPERATIONS) {
                assert.deepEqual(selectDecision(stack, op, result), {
                    action: "fail",
                    message: `pulumi stack select ${stack} failed (exit ${result.status}), and not because the stack does not exist`,
                    error: result.output.trim(),
                });
            }
        });
    }
});

describe("pipeline: a new stack's secrets provider", () => {
    const env = { GKE_SECRETS_PROVIDER: GKE_KEY, REVIEW_SECRETS_PROVIDER: REVIEW_KEY };
    it("gke and other production stacks: gke's key", () => assert.equal(secretsProviderFor(false, env), GKE_KEY));
    it("review stacks: the review stacks' key", () => assert.equal(secretsProviderFor(true, env), REVIEW_KEY));
    it("never falls back to the other kind's key", () =>
        assert.throws(() => secretsProviderFor(true, { GKE_SECRETS_PROVIDER: GKE_KEY }), {
            message: "REVIEW_SECRETS_PROVIDER is not set: a new stack needs its Cloud KMS key (bootstrap's output)",
        }));
    it("refuses an empty variable (GitHub passes an unset one as empty)", () =>
        assert.throws(() => secretsProviderFor(false, { GKE_SECRETS_PROVIDER: "" }), {
            message: "GKE_SECRETS_PROVIDER is not set: a new stack needs its Cloud KMS key (bootstrap's output)",
        }));
    for (const bad of ["passphrase", "default", "gcpkms://projects/acme/locations/us-central1/keyRings/three-tier"]) {
        it(`refuses ${bad}`, () =>
            assert.throws(() => secretsProviderFor(false, { GKE_SECRETS_PROVIDER: bad }), {
                message:
                    "GKE_SECRETS_PROVIDER must be gcpkms://projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key> " +
                    `(CI has no passphrase), got "${bad}"`,
            }));
    }
});
