// Stack configuration as the engine would hand it to the program: Pulumi.yaml defaults, then the stack file.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const REPO_ROOT = path.join(__dirname, "..", "..");

export function stackConfig(stack: string, overrides: Record<string, string> = {}): Record<string, string> {
    const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    const config: Record<string, string> = {};
    for (const [key, spec] of Object.entries<{ default?: unknown }>(project.config ?? {})) {
        if (spec.default !== undefined) config[`${project.name}:${key}`] = String(spec.default);
    }
    const stackFile = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    for (const [key, value] of Object.entries(stackFile?.config ?? {})) config[key] = String(value);
    return { ...config, ...overrides };
}
