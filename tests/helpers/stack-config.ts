// The program as the engine would run it for a stack: its configuration (Pulumi.yaml defaults, then the
// stack file) and a run of index.ts under mocks.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { runUnderMocks, sharedRun } from "./mocks";
import { OptionRecorder } from "./options";
import { REPO_ROOT } from "../../project";

/** The defaults the project file in `dir` declares, under their full keys, as the engine hands them to a stack. */
export function projectDefaults(dir: string): Record<string, string> {
    const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    const config: Record<string, string> = {};
    for (const [key, spec] of Object.entries<{ default?: unknown }>(project.config ?? {})) {
        if (spec.default !== undefined) config[`${project.name}:${key}`] = String(spec.default);
    }
    return config;
}

function stackConfig(stack: string, overrides: Record<string, string> = {}): Record<string, string> {
    const config = projectDefaults(REPO_ROOT);
    const stackFile = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    for (const [key, value] of Object.entries(stackFile?.config ?? {})) config[key] = String(value);
    return { ...config, ...overrides };
}

const INDEX = path.join(REPO_ROOT, "index.ts");

/** Requires an entry module afresh: its module body is the program. */
export function loadEntry(entry: string): Record<string, unknown> {
    delete require.cache[require.resolve(entry)];
    return require(entry);
}

/**
 * index.ts's run under mocks with the stack's config, as `pulumi up` would make it (see runUnderMocks): made
 * once per stack and overrides, and shared by every test that asks for it (see sharedRun).
 */
export function runProgram(stack: string, overrides: Record<string, string> = {}) {
    const config = stackConfig(stack, overrides);
    return sharedRun(["index", stack, config], () =>
        runUnderMocks(() => loadEntry(INDEX) as Record<string, pulumi.Output<string> | undefined>, { stack, config }),
    );
}

/**
 * Runs a program (`entry`, required afresh) inside a root Stack resource, as the engine does, whose stack
 * transformation records the options the program gives each resource (mocks see no aliases, protect or
 * dependsOn); returns the resources, the recorder and the stack's outputs. Made once per entry, stack and
 * config, and shared (see sharedRun).
 */
export function runRecordingOptions(
    entry: string,
    options: { readonly stack: string; readonly config: Record<string, string> },
) {
    return sharedRun(["recording", entry, options.stack, options.config], async () => {
        const recorder = new OptionRecorder();
        const run = await runUnderMocks(
            () =>
                pulumi.runtime.runInPulumiStack(async () => {
                    pulumi.runtime.registerStackTransformation(recorder.transformation);
                    return loadEntry(entry);
                }),
            options,
        );
        const outputs = await run.result;
        return { resources: run.resources, options: recorder, outputs };
    });
}

/** runProgram recording the options index.ts gives each resource: see runRecordingOptions. */
export function runProgramRecordingOptions(stack: string, overrides: Record<string, string> = {}) {
    return runRecordingOptions(INDEX, { stack, config: stackConfig(stack, overrides) });
}
