import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../../config";
import { PROJECT } from "../../../project";
import {
    PullRequestEvent,
    PullRequestState,
    pullRequestOf,
    REVIEW_LABEL,
    renderReviewConfig,
    reviewDecision,
    pullRequestStack,
    sweepSelection,
} from "../../../tools/pipeline/review-stacks";

const REPO = "acme/three-tier-app";
const TEMPLATE = path.join(__dirname, "..", "..", "..", ".github", "review-stack", "Pulumi.template.yaml");

const event = (action: string, extra: Partial<PullRequestEvent> = {}): PullRequestEvent => ({
    action,
    number: 42,
    labels: [],
    headRepository: REPO,
    repository: REPO,
    ...extra,
});

describe("pipeline: review stacks", () => {
    describe("names", () => {
        it("names the stack and namespace after the pull request", () => assert.equal(pullRequestStack(42), "pr-42"));
        for (const bad of [0, -1, 1.5, Number.NaN]) {
            it(`refuses ${bad}`, () =>
                assert.throws(() => pullRequestStack(bad), { message: `not a pull request number: ${bad}` }));
        }
        const cases: [string, number | undefined][] = [
            ["pr-42", 42],
            ["organization/three-tier-app/pr-7", 7],
            ["pr-07", undefined],
            ["pr-", undefined],
            ["review-alice", undefined],
            ["gke", undefined],
            ["pr-12-old", undefined],
        ];
        for (const [stack, number] of cases) it(stack, () => assert.equal(pullRequestOf(stack), number));
    });

    describe("what an event does", () => {
        const cases: [string, PullRequestEvent, string, string][] = [
            [
                "labelled for review",
                event("labeled", { label: REVIEW_LABEL }),
                "up",
                "labelled review-stack: create pr-42",
            ],
            [
                "another label",
                event("labeled", { label: "bug", labels: ["bug"] }),
                "none",
                "label bug is not review-stack",
            ],
            [
                "a push to a labelled pull request",
                event("synchronize", { labels: ["bug", REVIEW_LABEL] }),
                "up",
                "synchronize with review-stack: update pr-42",
            ],
            ["a push without the label", event("synchronize"), "none", "no review-stack label"],
            [
                "reopened with the label",
                event("reopened", { labels: [REVIEW_LABEL] }),
                "up",
                "reopened with review-stack: update pr-42",
            ],
            [
                "label removed",
                event("unlabeled", { label: REVIEW_LABEL }),
                "destroy",
                "review-stack removed: destroy pr-42",
            ],
            [
                "another label removed",
                event("unlabeled", { label: "bug", labels: [REVIEW_LABEL] }),
                "none",
                "label bug is not review-stack",
            ],
            ["closed", event("closed"), "destroy", "pull request closed: destroy pr-42 if it exists"],
            ["opened", event("opened", { labels: [REVIEW_LABEL] }), "none", "opened does not change review stacks"],
            [
                "a fork's pull request, labelled",
                event("labeled", { label: REVIEW_LABEL, headRepository: "mallory/three-tier-app" }),
                "none",
                "pull request from the fork mallory/three-tier-app: no secrets, no review stack",
            ],
            [
                "a fork's pull request, closed",
                event("closed", { labels: [REVIEW_LABEL], headRepository: "mallory/three-tier-app" }),
                "none",
                "pull request from the fork mallory/three-tier-app: no secrets, no review stack",
            ],
        ];
        for (const [name, e, action, reason] of cases) {
            it(name, () => assert.deepEqual(reviewDecision(e), { action, stack: "pr-42", reason }));
        }
    });

    describe("the nightly sweep", () => {
        const prs = new Map<number, PullRequestState>([
            [1, { state: "OPEN", labels: [REVIEW_LABEL] }],
            [2, { state: "OPEN", labels: ["bug"] }],
            [3, { state: "CLOSED", labels: [REVIEW_LABEL] }],
            [4, { state: "MERGED", labels: [] }],
            [5, { labels: [] }],
        ]);
        it("destroys stacks of closed, merged and unlabelled pull requests; keeps open, unknown and other stacks", () =>
            assert.deepEqual(sweepSelection(["gke", "pr-1", "pr-2", "pr-3", "pr-4", "pr-5", "pr-6", "review-x"], prs), [
                "pr-2",
                "pr-3",
                "pr-4",
            ]));
    });

    describe("the committed stack template", () => {
        const values = { STACK: "pr-42", CLUSTER_STACK: "organization/three-tier-app/gke" };
        it("renders a stack config in the pull request's namespace on the gke stack's cluster", () => {
            const config = parse(renderReviewConfig(fs.readFileSync(TEMPLATE, "utf8"), values)).config;
            assert.equal(config["three-tier-app:namespace"], "pr-42");
            assert.equal(config["three-tier-app:target"], "stack");
            assert.equal(config["three-tier-app:clusterStack"], values.CLUSTER_STACK);
            // The cluster comes from gke's stack output, not from credentials the workflow fetched.
            assert.equal(config["three-tier-app:kubeconfig"], undefined);
            assert.equal(config["three-tier-app:kubeContext"], undefined);
            // A namespace, not a cluster or a load balancer per pull request.
            assert.equal(config["three-tier-app:frontendServiceType"], "ClusterIP");
            assert.equal(config["gcp:project"], undefined);
        });
        it("is a config the program accepts", () => {
            const config = parse(renderReviewConfig(fs.readFileSync(TEMPLATE, "utf8"), values)).config;
            const raw = Object.fromEntries(
                Object.entries(config as Record<string, string>).map(([k, v]) => [
                    k.replace(`${PROJECT}:`, ""),
                    String(v),
                ]),
            );
            const parsed = parseConfig(raw, values.STACK);
            assert.deepEqual(parsed.cluster, { target: "stack", clusterStack: values.CLUSTER_STACK });
            assert.equal(parsed.app.namespace, "pr-42");
            assert.equal(parsed.app.redis.protect, false);
        });
        it("refuses an unknown placeholder", () =>
            assert.throws(() => renderReviewConfig("a: ${STACK}\nb: ${NAMESPACE}\nc: ${KUBECONFIG}", values), {
                message:
                    "review stack template uses unknown placeholder(s) ${NAMESPACE}, ${KUBECONFIG}; " +
                    "known: ${STACK}, ${CLUSTER_STACK}",
            }));
    });
});
