// The three servers of the stack, each on its own 127.0.0.1 port and configured by the very functions the
// Pulumi program uses (renderRedisConfig, renderNginxConfig).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderNginxConfig } from "../../components/nginx-config";
import { renderRedisConfig } from "../../components/redis-config";
import { backendBin, requireBinary } from "./binaries";
import { HOST, redisCommand, request } from "./clients";
import { Proc } from "./process";
import { waitFor } from "./wait";

/** A temp directory under the OS temp dir, removed by LoopbackApp.stop(). */
export function tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    // nginx workers run as nobody when the suite runs as root: let them traverse.
    fs.chmodSync(d, 0o755);
    return d;
}

export class RedisServer {
    proc?: Proc;
    readonly confPath: string;
    constructor(
        readonly port: number,
        readonly dataDir: string,
    ) {
        this.confPath = path.join(dataDir, "..", `redis-${port}.conf`);
        // Exactly the cluster's text; only port, dir and bind differ.
        fs.writeFileSync(this.confPath, renderRedisConfig({ port, dataDir, bind: HOST }));
    }

    async start(): Promise<void> {
        this.proc = new Proc(`redis:${this.port}`, requireBinary("redis-server"), [this.confPath]);
        await waitFor(
            () => `redis-server on ${this.port} to answer PING\n${this.proc?.tail()}`,
            async () => (await redisCommand(this.port, "PING")) === "+PONG",
            10_000,
        );
    }

    async stop(
        sig: NodeJS.Signals = "SIGTERM",
        timeoutMs = 10_000,
    ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
        const p = this.proc;
        if (!p || !p.running) return p?.exit ?? { code: null, signal: null };
        p.signal(sig);
        return p.waitExit(timeoutMs);
    }

    get running(): boolean {
        return this.proc?.running ?? false;
    }
}

export class ApiServer {
    proc?: Proc;
    constructor(
        readonly port: number,
        readonly redisPort: number,
        readonly extraEnv: Record<string, string> = {},
    ) {}

    async start(): Promise<void> {
        const env = {
            ...process.env,
            LISTEN_ADDR: `${HOST}:${this.port}`,
            REDIS_URL: `${HOST}:${this.redisPort}`,
            ...this.extraEnv,
        };
        this.proc = new Proc(`api:${this.port}`, backendBin(), [], env);
        await this.waitReady();
    }

    async waitReady(timeoutMs = 10_000): Promise<void> {
        await waitFor(
            () => `API on ${this.port} to be ready\n${this.proc?.tail() ?? ""}`,
            async () => (await request(this.port, "GET", "/readyz", { timeoutMs: 1000 })).status === 200,
            timeoutMs,
        );
    }

    /** Teardown: SIGTERM, SIGKILL after graceMs (the graceful path is tested where it matters). */
    async stop(graceMs = 1000): Promise<void> {
        await this.proc?.stop(graceMs);
    }
}

export class Nginx {
    proc?: Proc;
    readonly runtimeDir: string;
    readonly confPath: string;
    constructor(
        readonly port: number,
        readonly upstreamPorts: number[],
    ) {
        this.runtimeDir = tempDir("app-nginx-");
        this.confPath = path.join(this.runtimeDir, "nginx.conf");
        // Exactly the cluster's text; only the port, the upstreams and the runtime dir differ.
        this.writeConfig(upstreamPorts);
    }

    /** Writes the config for these upstreams (same renderer, same other params). */
    private writeConfig(upstreamPorts: number[]): void {
        fs.writeFileSync(
            this.confPath,
            renderNginxConfig({
                listenPort: this.port,
                upstreams: upstreamPorts.map((p) => `${HOST}:${p}`),
                runtimeDir: this.runtimeDir,
            }),
        );
    }

    async start(): Promise<void> {
        // As in the cluster: `nginx -c <file> -g 'daemon off;'`. As root here, the
        // workers must not stay root: name an unprivileged user on the command
        // line (the cluster image runs as uid 101 and needs no user directive).
        const globals = process.getuid?.() === 0 ? "daemon off; user nobody nogroup;" : "daemon off;";
        // -e stderr: the start-up error log, before the config is read (nginx >= 1.19.5).
        // -p: prefix, so no relative path can point outside the runtime dir.
        this.proc = new Proc(`nginx:${this.port}`, requireBinary("nginx"), [
            "-p",
            this.runtimeDir,
            "-e",
            "stderr",
            "-c",
            this.confPath,
            "-g",
            globals,
        ]);
        await waitFor(
            () => `nginx on ${this.port} to answer its health path\n${this.proc?.tail()}`,
            async () => (await request(this.port, "GET", "/nginx-health", { timeoutMs: 1000 })).status === 200,
            10_000,
        );
    }

    async stop(): Promise<void> {
        await this.proc?.stop(5000);
        fs.rmSync(this.runtimeDir, { recursive: true, force: true });
    }
}
