// The process supervisor: every child started here logs to a file, is tracked, and is killed, as a last
// resort, when this (mocha or benchmark) process exits.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../project";

const live = new Set<ChildProcess>();
process.on("exit", () => {
    for (const p of live) {
        try {
            p.kill("SIGKILL");
        } catch {
            /* gone */
        }
    }
});

/**
 * Per-run directory of process logs (git-ignored), emptied when a run (the suite, the benchmark) starts.
 * Children write to files rather than pipes: nginx opens /dev/stdout for its
 * access log, which works on a file or a pipe (as in a container) but not on
 * the socket Node would give it.
 */
const LOG_DIR = path.join(REPO_ROOT, ".cache", "app-test-logs");
fs.rmSync(LOG_DIR, { recursive: true, force: true });
fs.mkdirSync(LOG_DIR, { recursive: true });

/** A child process whose stdout and stderr go to LOG_DIR/<name>.log. */
export class Proc {
    readonly child: ChildProcess;
    readonly logPath: string;
    private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
    private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

    constructor(
        readonly name: string,
        cmd: string,
        args: string[],
        env: NodeJS.ProcessEnv = process.env,
    ) {
        this.logPath = path.join(LOG_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`);
        const fd = fs.openSync(this.logPath, "a");
        try {
            this.child = spawn(cmd, args, { env, stdio: ["ignore", fd, fd] });
        } finally {
            fs.closeSync(fd);
        }
        live.add(this.child);
        this.exited = new Promise((resolve) => {
            this.child.on("exit", (code, signal) => {
                live.delete(this.child);
                this.exitInfo = { code, signal };
                resolve(this.exitInfo);
            });
            this.child.on("error", (err) => {
                fs.appendFileSync(this.logPath, `spawn error: ${err.message}\n`);
                live.delete(this.child);
                this.exitInfo = { code: -1, signal: null };
                resolve(this.exitInfo);
            });
        });
    }

    get running(): boolean {
        return this.exitInfo === undefined;
    }

    get exit() {
        return this.exitInfo;
    }

    /** The whole log. */
    output(): string {
        try {
            return fs.readFileSync(this.logPath, "utf8");
        } catch {
            return "";
        }
    }

    /** Waits for the process to exit; throws after timeoutMs. */
    async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
        let t: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            t = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
            return await Promise.race([this.exited, timeout]);
        } finally {
            clearTimeout(t);
        }
    }

    signal(sig: NodeJS.Signals): void {
        if (this.running) this.child.kill(sig);
    }

    /** SIGTERM, then SIGKILL when it has not exited after graceMs. */
    async stop(graceMs = 3000): Promise<void> {
        if (!this.running) return;
        this.signal("SIGTERM");
        try {
            await this.waitExit(graceMs);
        } catch {
            this.signal("SIGKILL");
            await this.waitExit(5000).catch(() => undefined);
        }
    }

    tail(n = 20): string {
        const lines = this.output()
            .split("\n")
            .filter((l) => l.length > 0);
        return lines
            .slice(-n)
            .map((l) => `  [${this.name}] ${l}`)
            .join("\n");
    }
}
