// The program as the engine would run it for a stack: its configuration (Pulumi.yaml defaults, then the
// stack file) and a run of index.ts under mocks.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { runUnderMocks } from "./mocks";
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

function loadIndex(): Record<string, pulumi.Output<string> | undefined> {
    delete require.cache[require.resolve(INDEX)];
    return require(INDEX);
}

/** Runs index.ts afresh under mocks with the stack's config, as `pulumi up` would; see runUnderMocks. */
export function runProgram(stack: string, overrides: Record<string, string> = {}) {
    return runUnderMocks(loadIndex, { stack, config: stackConfig(stack, overrides) });
}

/**
 * Runs a program (`load` requires its entry module) inside a root Stack resource, as the engine does, whose
 * stack transformation records the options the program gives each resource (mocks see no aliases, protect or
 * dependsOn); returns the resources, the recorder and the stack's outputs.
 */
export async function runRecordingOptions(
    load: () => Record<string, unknown>,
    options: { readonly stack: string; readonly config: Record<string, string> },
) {
    const recorder = new OptionRecorder();
    const run = await runUnderMocks(
        () =>
            pulumi.runtime.runInPulumiStack(async () => {
                pulumi.runtime.registerStackTransformation(recorder.transformation);
                return load();
            }),
        options,
    );
    const outputs = await run.result;
    return { resources: run.resources, options: recorder, outputs };
}

/** runProgram recording the options index.ts gives each resource: see runRecordingOptions. */
export function runProgramRecordingOptions(stack: string, overrides: Record<string, string> = {}) {
    return runRecordingOptions(loadIndex, { stack, config: stackConfig(stack, overrides) });
}
