import * as assert from "node:assert/strict";
import {
    driftIssueAction,
    findMarked,
    isDrift,
    marker,
    MAX_BODY,
    reportMarkdown,
} from "../../../tools/pipeline/report";

const RUN = "https://github.com/acme/app/actions/runs/1";

describe("pipeline: reports", () => {
    it("marks comments and issues per kind and stack", () => {
        assert.equal(marker("pulumi", "gke"), "<!-- three-tier-app:pulumi:gke -->");
        assert.notEqual(marker("pulumi", "pr-1"), marker("pulumi", "pr-12"));
    });

    it("finds our comment among others by its marker", () => {
        const comments = [
            { id: 1, body: "LGTM" },
            { id: 2, body: null },
            { id: 3, body: `${marker("pulumi", "pr-12")}\nold` },
            { id: 4, body: `${marker("pulumi", "gke")}\nold` },
        ];
        assert.equal(findMarked(comments, marker("pulumi", "gke"))?.id, 4);
        assert.equal(findMarked(comments, marker("pulumi", "pr-1")), undefined);
    });

    it("reports the command, its verdict and its output, colour codes removed", () =>
        assert.equal(
            reportMarkdown({
                stack: "gke",
                command: "preview",
                status: 0,
                output: "\u001b[1mPreviewing\u001b[0m\n+ 1 to create\n",
                runUrl: RUN,
                notes: ["gke: no lock"],
            }),
            [
                "<!-- three-tier-app:pulumi:gke -->",
                "#### `pulumi preview` on `gke`: succeeded",
                "",
                "> gke: no lock",
                `[run log](${RUN})`,
                "<details><summary>output</summary>",
                "",
                "```",
                "Previewing",
                "+ 1 to create",
                "```",
                "</details>",
                "",
            ].join("\n"),
        ));

    it("keeps the end of a long output within the limit", () => {
        const output = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join("\n");
        const markdown = reportMarkdown({ stack: "gke", command: "up", status: 255, output, runUrl: RUN }, 2000);
        assert.ok(markdown.length <= 2000, `${markdown.length} > 2000`);
        assert.match(markdown, /failed \(exit 255\)/);
        assert.match(markdown, /…\(earlier output cut; see the run log\)\n/);
        assert.match(markdown, /line 4999\n```/);
        assert.doesNotMatch(markdown, /line 0\n/);
    });

    describe("drift", () => {
        const changed = "error: no changes were expected but changes were proposed";
        it("tells drift from an error", () => {
            assert.equal(isDrift(255, `~ 1 to update\n${changed}`), true);
            assert.equal(isDrift(255, "error: no changes were expected for update but changes were proposed"), true);
            assert.equal(isDrift(255, "error: failed to authenticate"), false);
            assert.equal(isDrift(0, "no changes were expected but changes were proposed"), false);
        });

        const open = { id: 99, body: `${marker("drift", "gke")}\nold` };
        it("opens one issue on the first drift, updates it after", () => {
            const first = driftIssueAction("gke", { found: true, output: changed, runUrl: RUN }, undefined);
            assert.equal(first.action, "create");
            assert.ok("body" in first && first.body.startsWith(`${marker("drift", "gke")}\n`));
            assert.equal(driftIssueAction("gke", { found: true, output: changed, runUrl: RUN }, open).action, "update");
        });
        it("closes the issue once there is no drift, and does nothing when there is none", () => {
            assert.deepEqual(driftIssueAction("gke", { found: false, output: "", runUrl: RUN }, open), {
                action: "close",
                comment: `No drift on \`gke\` any more ([run](${RUN})).`,
            });
            assert.deepEqual(driftIssueAction("gke", { found: false, output: "", runUrl: RUN }, undefined), {
                action: "none",
            });
        });
        it("keeps the issue body within GitHub's limit", () => {
            const action = driftIssueAction("gke", { found: true, output: "x".repeat(100000), runUrl: RUN }, undefined);
            assert.equal(MAX_BODY, 65536);
            assert.ok("body" in action && action.body.length <= MAX_BODY);
        });
    });
});
