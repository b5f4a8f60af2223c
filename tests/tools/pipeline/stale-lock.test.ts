import * as assert from "node:assert/strict";
import {
    cloudLockHolders,
    diyLockHolder,
    diyLockKeys,
    LockHolder,
    lockDecision,
    pendingDecision,
} from "../../../tools/pipeline/stale-lock";

const NOW = new Date("2026-12-01T22:00:00Z");
const lockJson = (username: string, timestamp = "2026-12-01T21:15:00.123456789Z") =>
    JSON.stringify({ pid: 2211, username, hostname: "runnervm-abc", timestamp });

describe("pipeline: stale-lock recovery", () => {
    describe("DIY lock files", () => {
        const base = "gs://state/three-tier-app/.pulumi/locks";
        const keys = [
            `${base}/organization/three-tier-app/gke/5f1c.json`,
            `${base}/organization/three-tier-app/gke-old/77aa.json`,
            `${base}/organization/other-project/gke/9b2e.json`,
            `${base}/gke/legacy.json`,
            `${base}/organization/three-tier-app/pr-4/1d0d.json`,
            "gs://state/three-tier-app/.pulumi/stacks/three-tier-app/gke.json",
        ];
        it("finds the stack's lock files in the project-scoped and legacy layouts only", () =>
            assert.deepEqual(diyLockKeys(keys, "three-tier-app", "gke"), [keys[0], keys[3]]));

        it("reads who holds a lock and whether CI took it", () =>
            assert.deepEqual(diyLockHolder("k", lockJson("runner"), "runner"), {
                where: "k",
                who: "runner@runnervm-abc (pid 2211)",
                since: new Date("2026-12-01T21:15:00.123Z"),
                ci: true,
            }));
        it("a person's lock is not CI's", () =>
            assert.equal(diyLockHolder("k", lockJson("alice"), "runner").ci, false));
        it("refuses a lock without a timestamp", () =>
            assert.throws(() => diyLockHolder("k", '{"username":"runner"}', "runner"), {
                message: 'lock k has no valid timestamp: {"username":"runner"}',
            }));
    });

    it("reads Pulumi Cloud's in-progress updates as locks, CI ones by ci.system", () =>
        assert.deepEqual(
            cloudLockHolders([
                {
                    version: 9,
                    kind: "update",
                    startTime: "2026-12-01T21:00:00Z",
                    result: "in-progress",
                    environment: { "ci.system": "GitHub" },
                },
                { version: 8, kind: "update", startTime: "2026-12-01T20:00:00Z", result: "succeeded", environment: {} },
                {
                    version: 7,
                    kind: "destroy",
                    startTime: "2026-12-01T19:00:00Z",
                    result: "in-progress",
                    environment: { "git.author": "alice" },
                },
            ]),
            [
                { where: "update #9", who: "CI (GitHub)", since: new Date("2026-12-01T21:00:00Z"), ci: true },
                { where: "destroy #7", who: "alice", since: new Date("2026-12-01T19:00:00Z"), ci: false },
            ],
        ));

    describe("whether to cancel", () => {
        const ci: LockHolder = {
            where: "gs://s/l/1.json",
            who: "runner@vm (pid 1)",
            since: new Date("2026-12-01T21:15:00Z"),
            ci: true,
        };
        const alice: LockHolder = {
            where: "gs://s/l/2.json",
            who: "alice@laptop (pid 7)",
            since: new Date("2026-12-01T21:58:00Z"),
            ci: false,
        };
        it("proceeds when nothing holds the stack", () =>
            assert.deepEqual(lockDecision("gke", [], NOW), { action: "proceed", message: "gke: no lock" }));
        it("cancels when only interrupted CI runs hold it", () =>
            assert.deepEqual(lockDecision("gke", [ci], NOW), {
                action: "cancel",
                message:
                    "gke: stale lock(s) of an interrupted CI run (no other CI run of this stack can be running):\n" +
                    "  gs://s/l/1.json: runner@vm (pid 1), since 2026-12-01T21:15:00.000Z (45 min ago)\n" +
                    "running `pulumi cancel` to remove them",
            }));
        it("stops, touching nothing, when anyone else holds it too", () =>
            assert.deepEqual(lockDecision("gke", [ci, alice], NOW), {
                action: "stop",
                message:
                    "gke: locked by someone other than CI, who may still be running an update:\n" +
                    "  gs://s/l/1.json: runner@vm (pid 1), since 2026-12-01T21:15:00.000Z (45 min ago)\n" +
                    "  gs://s/l/2.json: alice@laptop (pid 7), since 2026-12-01T21:58:00.000Z (2 min ago)\n" +
                    "wait for them, or, once you are sure nothing runs, `pulumi cancel --stack gke` and re-run this job",
            }));
    });

    describe("pending operations", () => {
        const urn = (name: string) => `urn:pulumi:gke::three-tier-app::kubernetes:apps/v1:Deployment::${name}`;
        const op = (type: string, name: string) => ({ resource: { urn: urn(name) }, type });
        const updatingA = `  ${urn("a")}: interrupted while updating\n`;
        it("nothing pending: nothing to do", () => assert.deepEqual(pendingDecision("gke", []), { action: "none" }));
        it("pending updates and deletes: refresh", () =>
            assert.deepEqual(pendingDecision("gke", [op("updating", "a"), op("deleting", "b")]), {
                action: "refresh",
                message:
                    "gke: pending operations of an interrupted run:\n" +
                    updatingA +
                    `  ${urn("b")}: interrupted while deleting\n` +
                    "running `pulumi refresh`",
            }));
        it("a pending create: stop and say how to adopt or drop it", () =>
            assert.deepEqual(pendingDecision("gke", [op("updating", "a"), op("creating", "c")]), {
                action: "stop",
                message:
                    "gke: an interrupted run left 1 pending create(s); the resource may exist without being in the state:\n" +
                    updatingA +
                    `  ${urn("c")}: interrupted while creating\n` +
                    "check each in the cluster/cloud, then either adopt it:\n" +
                    "  pulumi refresh --stack gke --import-pending-creates <urn> <id>\n" +
                    "or, if it does not exist, drop it:\n" +
                    "  pulumi refresh --stack gke --clear-pending-creates",
            }));
    });
});
