// The Pulumi CLI as the benchmarks run it: directly (on PATH: with-local-cluster.sh sets the toolchain's
// environment), not through the Automation API, whose calls after an operation are not what a user waits for.
import { execFileSync } from "node:child_process";
import type { Stack } from "@pulumi/pulumi/automation";
import { secondsSince } from "../engine/stacks";

/** `pulumi <args>` on `stack`, in its program's directory, without prompts. */
export function pulumiArgs(stack: Stack, args: readonly string[]): string[] {
    return [...args, "--stack", stack.name, "--non-interactive", "--cwd", stack.workspace.workDir];
}

/** Times one run of the CLI, from spawn to exit, in seconds. */
export async function timedPulumi(stack: Stack, ...args: string[]): Promise<number> {
    const start = process.hrtime.bigint();
    execFileSync("pulumi", pulumiArgs(stack, args), { stdio: ["ignore", "ignore", "pipe"], timeout: 10 * 60 * 1000 });
    return secondsSince(start);
}
