import * as assert from "node:assert/strict";
import { leftoverReport, NamespaceState } from "../../../tools/pipeline/leftovers";

describe("pipeline: what a destroyed review stack left in its namespace", () => {
    const pvc = {
        kind: "PersistentVolumeClaim",
        name: "redis-data",
        finalizers: ["kubernetes.io/pvc-protection"],
        deleting: true,
    };
    const cases: [string, NamespaceState, { clean: boolean; lines: string[] }][] = [
        ["nothing left", { objects: [] }, { clean: true, lines: ["namespace pr-7 is gone; nothing was left behind"] }],
        [
            "a terminating namespace held by a claim",
            { namespace: { phase: "Terminating", finalizers: ["kubernetes"] }, objects: [pvc] },
            {
                clean: false,
                lines: [
                    "namespace pr-7 still exists (phase Terminating, finalizers: kubernetes) and holds 1 object(s):",
                    "  PersistentVolumeClaim/redis-data (being deleted; held by finalizers: kubernetes.io/pvc-protection)",
                ],
            },
        ],
        [
            "an empty namespace that was not deleted",
            { namespace: { phase: "Active", finalizers: [] }, objects: [] },
            { clean: false, lines: ["namespace pr-7 still exists (phase Active) and holds 0 object(s)"] },
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
                        detail: "claim pr-7/redis-data, Released, reclaim policy Retain",
                    },
                ],
            },
            {
                clean: false,
                lines: [
                    "namespace pr-7 is gone, but 1 object(s) of it remain:",
                    "  PersistentVolume/pvc-0b1c (claim pr-7/redis-data, Released, reclaim policy Retain)",
                ],
            },
        ],
    ];
    for (const [name, state, report] of cases) it(name, () => assert.deepEqual(leftoverReport("pr-7", state), report));
});
