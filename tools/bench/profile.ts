// Where the time of one `pulumi up`, no-op `preview` and `destroy` goes (npm run bench:engine -- --profile).
// The CLI runs as a user runs it, with `--event-log`; the engine's events carry whole seconds only, so each
// event is stamped when its line reaches the log (polled every POLL_MS), relative to the CLI's start.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { pulumiArgs } from "./cli";

const POLL_MS = 20;

/** An engine event and when it reached the log, in seconds after the CLI started. */
export interface StampedEvent {
    at: number;
    event: EngineEvent;
}

export interface CliRun {
    /** The CLI process from spawn to exit, in seconds. */
    total: number;
    events: StampedEvent[];
}

/** Runs `pulumi <args> --stack <stack>` directly, stamping its engine events as they are written. */
export async function profiledPulumi(stack: Stack, ...args: string[]): Promise<CliRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-profile-"));
    const log = path.join(dir, "events.jsonl");
    const events: StampedEvent[] = [];
    let offset = 0;
    let partial = "";
    const start = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - start) / 1e9;
    const drain = () => {
        if (!fs.existsSync(log)) return;
        const text = fs.readFileSync(log, "utf8");
        const lines = (partial + text.slice(offset)).split("\n");
        offset = text.length;
        partial = lines.pop() ?? "";
        const at = since();
        for (const line of lines) if (line.trim()) events.push({ at, event: JSON.parse(line) as EngineEvent });
    };
    try {
        const cli = spawn(
            "pulumi",
            [...pulumiArgs(stack, args), "--event-log", log],
            // --event-log is a debug flag, as the Automation API also uses it.
            { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PULUMI_DEBUG_COMMANDS: "true" } },
        );
        let output = "";
        cli.stdout.on("data", (chunk) => (output += chunk));
        cli.stderr.on("data", (chunk) => (output += chunk));
        const poll = setInterval(drain, POLL_MS);
        const code = await new Promise<number | null>((resolve) => cli.on("exit", resolve));
        const total = since();
        clearInterval(poll);
        drain();
        if (code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${code}:\n${output}`);
        return { total, events };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** One resource's step: from the engine starting it to its outputs (check and diff, create and await, delete). */
export interface StepSpan {
    name: string;
    type: string;
    op: string;
    start: number;
    end: number;
}

/** The steps of a run, `same` included (a no-op preview's time is in them), in the order they started. */
export function stepSpans(run: CliRun): StepSpan[] {
    const open = new Map<string, StepSpan>();
    const spans: StepSpan[] = [];
    for (const { at, event } of run.events) {
        const pre = event.resourcePreEvent?.metadata;
        const done = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
        if (pre) {
            const span = { name: pre.urn.split("::").pop()!, type: pre.type, op: pre.op, start: at, end: run.total };
            open.set(pre.urn, span);
            spans.push(span);
        } else if (done && open.has(done.urn)) {
            open.get(done.urn)!.end = at;
        }
    }
    return spans;
}

/**
 * The run's phases: the CLI until the engine starts; the language host until it registers the stack; the
 * program's modules until its first resource; the resources' steps; the engine's finish; the CLI's exit.
 * A destroy runs no program: its steps follow the prelude directly.
 */
export function phases(run: CliRun): [string, number][] {
    const at = (pick: (e: EngineEvent) => unknown, from = 0) => run.events.slice(from).find((s) => pick(s.event))?.at;
    const prelude = at((e) => e.preludeEvent) ?? 0;
    const first = run.events.findIndex((s) => s.event.resourcePreEvent);
    const firstStep = first < 0 ? prelude : run.events[first].at;
    const summary = at((e) => e.summaryEvent) ?? run.total;
    const lastStep =
        [...run.events].reverse().find((s) => s.event.resOutputsEvent || s.event.resourcePreEvent)?.at ?? summary;
    const cli: [string, number] = ["CLI start to the engine's prelude (plugins, state, secrets)", prelude];
    const finish: [string, number][] = [
        ["to the summary (stack outputs, checkpoint)", summary - lastStep],
        ["summary to exit", run.total - summary],
    ];
    if (run.events[first]?.event.resourcePreEvent?.metadata.type !== "pulumi:pulumi:Stack") {
        return [cli, ["to the last resource step (deletes and their waits)", lastStep - prelude], ...finish];
    }
    const firstResource = at((e) => e.resourcePreEvent, first + 1) ?? firstStep;
    return [
        cli,
        ["prelude to the stack's registration (language host, Node.js, TypeScript loader)", firstStep - prelude],
        ["to the program's first resource (its modules and config load)", firstResource - firstStep],
        ["to the last resource step (checks, diffs, creates, awaits)", lastStep - firstResource],
        ...finish,
    ];
}

/** The report for one run: its phases, then every step with its start and length, on one timeline. */
export function profileReport(title: string, run: CliRun): string {
    const s = (x: number) => `${x.toFixed(2).padStart(6)} s`;
    const lines = [`${title}: ${s(run.total)} from spawn to exit`];
    for (const [what, seconds] of phases(run)) lines.push(`  ${s(seconds)}  ${what}`);
    const spans = stepSpans(run);
    if (spans.length > 0) lines.push(`  steps (start after spawn, length, op, type, name):`);
    for (const span of spans) {
        lines.push(`    +${s(span.start)} ${s(span.end - span.start)}  ${span.op.padEnd(7)} ${span.type} ${span.name}`);
    }
    return lines.join("\n");
}
