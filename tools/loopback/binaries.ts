// The binaries the loopback stack runs: Debian's nginx and redis-server (and the benchmark's wrk and
// redis-benchmark), found on PATH or in the sbin directories, and the Go API, built on demand.
// A missing binary is an error, never a skip: scripts/app-deps.sh installs them.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../project";

const SBIN_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/** Absolute path of an executable in PATH or the sbin directories; throws when missing. */
export function requireBinary(name: string): string {
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...SBIN_DIRS];
    for (const dir of dirs) {
        if (!dir) continue;
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            /* next */
        }
    }
    throw new Error(
        `${name} not found in PATH or ${SBIN_DIRS.join(", ")}: run \`npm run app:deps\` (scripts/app-deps.sh)`,
    );
}

let backendBinary: string | undefined;

/**
 * The API binary: $BACKEND_BIN when set, else built by scripts/build-backend.sh
 * (once per process: a mocha run, a benchmark; Go's cache makes a no-change rebuild fast).
 */
export function backendBin(): string {
    if (backendBinary !== undefined) return backendBinary;
    const fromEnv = process.env.BACKEND_BIN;
    if (fromEnv) {
        fs.accessSync(fromEnv, fs.constants.X_OK);
        backendBinary = fromEnv;
        return fromEnv;
    }
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "build-backend.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: 300_000,
    });
    const bin = out.trim().split("\n").pop() ?? "";
    fs.accessSync(bin, fs.constants.X_OK);
    backendBinary = bin;
    return bin;
}
