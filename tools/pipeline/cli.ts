// The command-line programs the pipeline runs (pulumi, gcloud): captured, or streamed and kept.
import { execFileSync, spawn } from "node:child_process";

/** Runs a command; its stdout, its stderr passed through. Throws when it fails. */
export const run = (command: string, args: readonly string[]): string =>
    execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });

/** Runs a command, its output streamed to this process's and kept for the report. */
export function runStreaming(command: string, args: readonly string[]): Promise<{ status: number; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
        const chunks: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => (chunks.push(chunk), process.stdout.write(chunk)));
        child.stderr.on("data", (chunk: Buffer) => (chunks.push(chunk), process.stderr.write(chunk)));
        child.on("error", reject);
        child.on("close", (code) => resolve({ status: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
    });
}

/** The short names of this project's stacks in the backend (a backend may list org/project/name). */
export const stackNames = (): string[] =>
    (JSON.parse(run("pulumi", ["stack", "ls", "--json"])) as { name: string }[]).map((s) =>
        s.name.replace(/^.*\//, ""),
    );
