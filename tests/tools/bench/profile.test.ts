// bench:engine --profile's reading of an engine event stream: phases and step spans.
import * as assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { CliRun, phases, stepSpans } from "../../../tools/bench/profile";

const STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
const DEPLOYMENT = "urn:pulumi:s::p::kubernetes:apps/v1:Deployment::web";

function pre(urn: string, op: string): EngineEvent {
    const type = urn.split("::")[2];
    return { resourcePreEvent: { metadata: { urn, op, type } } } as unknown as EngineEvent;
}
function outputs(urn: string): EngineEvent {
    return { resOutputsEvent: { metadata: { urn } } } as unknown as EngineEvent;
}
const prelude = { preludeEvent: { config: {} } } as unknown as EngineEvent;
const summary = { summaryEvent: {} } as unknown as EngineEvent;

function run(total: number, events: [number, EngineEvent][]): CliRun {
    return { total, events: events.map(([at, event]) => ({ at, event })) };
}

describe("bench:engine --profile", () => {
    const up = run(10, [
        [0.5, prelude],
        [1.5, pre(STACK, "create")],
        [2.5, pre(DEPLOYMENT, "create")],
        [9, outputs(DEPLOYMENT)],
        [9.5, outputs(STACK)],
        [9.6, summary],
    ]);

    it("splits an up into CLI start, language host, program load, steps, finish and exit", () => {
        assert.deepEqual(
            phases(up).map(([, s]) => Number(s.toFixed(2))),
            [0.5, 1, 1, 7, 0.1, 0.4],
        );
        assert.equal(
            phases(up).reduce((sum, [, s]) => sum + s, 0),
            up.total,
        );
    });

    it("gives each step its span, from the engine starting it to its outputs", () => {
        assert.deepEqual(
            stepSpans(up).map((s) => [s.name, s.op, s.start, s.end]),
            [
                ["p-s", "create", 1.5, 9.5],
                ["web", "create", 2.5, 9],
            ],
        );
    });

    it("reads a destroy, which runs no program, as CLI start, steps, finish and exit", () => {
        const destroy = run(8, [
            [0.4, prelude],
            [1, pre(DEPLOYMENT, "delete")],
            [7, outputs(DEPLOYMENT)],
            [7.5, summary],
        ]);
        assert.deepEqual(
            phases(destroy).map(([what, s]) => [what.split(" (")[0], Number(s.toFixed(2))]),
            [
                ["CLI start to the engine's prelude", 0.4],
                ["to the last resource step", 6.6],
                ["to the summary", 0.5],
                ["summary to exit", 0.5],
            ],
        );
    });
});
