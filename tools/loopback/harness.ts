/**
 * Loopback harness for the app suite: real redis-server, the Go API binary and
 * real nginx, each on a free 127.0.0.1 port, configured by the very functions
 * the Pulumi program uses (renderRedisConfig, renderNginxConfig).
 *
 * Every process started here is tracked and killed by `LoopbackApp.stop()` (called
 * from after-hooks) and, as a last resort, when the mocha process exits.
 * A missing binary is an error, never a skip: scripts/app-deps.sh installs them.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { renderNginxConfig } from "../../components/nginx-config";
import { renderRedisConfig } from "../../components/redis-config";
import { REPO_ROOT } from "../../project";

export const HOST = "127.0.0.1";

// ---------------------------------------------------------------- binaries

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
 * (once per mocha run; Go's cache makes a no-change rebuild fast).
 */
function backendBin(): string {
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

// ---------------------------------------------------------------- utilities

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, HOST, () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** Polls `check` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
    what: string | (() => string),
    check: () => Promise<boolean>,
    timeoutMs: number,
    everyMs = 50,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await check()) return;
        } catch {
            /* not yet */
        }
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
        }
        await sleep(everyMs);
    }
}

export interface HttpResult {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** Keep-alive agent for load loops (as a browser or a load balancer would). */
function keepAliveAgent(maxSockets = 8): http.Agent {
    return new http.Agent({ keepAlive: true, maxSockets });
}

const noKeepAlive = new http.Agent({ keepAlive: false });

/** One HTTP request to 127.0.0.1:port. Rejects on network errors and after timeoutMs. */
export function request(
    port: number,
    method: string,
    urlPath: string,
    opts: { headers?: http.OutgoingHttpHeaders; body?: string | Buffer; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: HOST, port, method, path: urlPath, headers: opts.headers, agent: opts.agent ?? noKeepAlive },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body: Buffer.concat(chunks).toString("utf8"),
                    }),
                );
                res.on("error", reject);
            },
        );
        req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
        req.on("error", reject);
        req.end(opts.body);
    });
}

export interface RawResult {
    /** Status code of the first response, or undefined when none came. */
    status?: number;
    /** Everything received. */
    text: string;
    /** True when the server closed the connection (rather than our timeout). */
    closedByServer: boolean;
    elapsedMs: number;
}

/**
 * Sends `chunks` over a raw TCP socket (each after `gapMs`), then waits for the
 * server to close, at most `timeoutMs` in all. Write errors (the server closing
 * early, e.g. a 413 before the body is read) end the sending, not the test.
 */
export function rawExchange(
    port: number,
    chunks: Array<string | Buffer>,
    opts: { gapMs?: number; timeoutMs?: number } = {},
): Promise<RawResult> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const started = Date.now();
    return new Promise((resolve) => {
        const sock = net.connect(port, HOST);
        const received: Buffer[] = [];
        let closedByServer = false;
        let done = false;
        const finish = () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            const text = Buffer.concat(received).toString("latin1");
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
            resolve({ status: m ? Number(m[1]) : undefined, text, closedByServer, elapsedMs: Date.now() - started });
        };
        const timer = setTimeout(finish, timeoutMs);
        sock.on("data", (d: Buffer) => {
            received.push(d);
            // Stop at the end of the first complete response (nginx may linger on
            // a connection whose body it refused, waiting for us to close).
            const text = Buffer.concat(received).toString("latin1");
            const headEnd = text.indexOf("\r\n\r\n");
            if (headEnd >= 0) {
                const len = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headEnd));
                if (len && text.length - (headEnd + 4) >= Number(len[1])) finish();
            }
        });
        sock.on("end", () => {
            closedByServer = true;
            finish();
        });
        sock.on("close", () => {
            closedByServer = true;
            finish();
        });
        sock.on("error", () => {
            closedByServer = true;
            finish();
        });
        const sendChunks = async () => {
            for (const c of chunks) {
                if (done || sock.destroyed) return;
                if (!sock.write(c))
                    await new Promise<void>((r) => sock.once("drain", () => r()).once("close", () => r()));
                if (opts.gapMs) await sleep(opts.gapMs);
            }
        };
        sock.on("connect", () => void sendChunks());
    });
}

// ---------------------------------------------------------------- processes

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
 * Per-run directory of process logs (git-ignored), emptied when the suite starts.
 * Children write to files rather than pipes: nginx opens /dev/stdout for its
 * access log, which works on a file or a pipe (as in a container) but not on
 * the socket Node would give it.
 */
const LOG_DIR = path.join(REPO_ROOT, ".cache", "app-test-logs");
fs.rmSync(LOG_DIR, { recursive: true, force: true });
fs.mkdirSync(LOG_DIR, { recursive: true });

/** A child process whose stdout and stderr go to LOG_DIR/<name>.log. */
class Proc {
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

/** Sends one RESP command (inline) and returns the first reply line. */
export function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
    return new Promise((resolve, reject) => {
        const s = net.connect(port, HOST);
        let buf = "";
        const t = setTimeout(() => {
            s.destroy();
            reject(new Error(`redis ${command}: timeout`));
        }, timeoutMs);
        s.on("connect", () => s.write(command + "\r\n"));
        s.on("data", (d) => {
            buf += d.toString("utf8");
            // +OK / :123 / -ERR are one line; $n\r\nvalue\r\n is two.
            const lines = buf.split("\r\n");
            const complete = buf.startsWith("$")
                ? buf.startsWith("$-1")
                    ? lines.length >= 2
                    : lines.length >= 3
                : lines.length >= 2;
            if (complete) {
                clearTimeout(t);
                s.destroy();
                resolve(buf.startsWith("$") && !buf.startsWith("$-1") ? lines[1] : lines[0]);
            }
        });
        s.on("error", (e) => {
            clearTimeout(t);
            reject(e);
        });
    });
}

// ---------------------------------------------------------------- the stack

/** A temp directory under the OS temp dir, removed by LoopbackApp.stop(). */
function tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    // nginx workers run as nobody when the suite runs as root: let them traverse.
    fs.chmodSync(d, 0o755);
    return d;
}

class RedisServer {
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

class ApiServer {
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

/**
 * Mocha hooks for a suite that runs against one LoopbackApp: start it before the tests, stop it after,
 * print its logs (the last `logLines`) when a test fails. Returns a getter for the running LoopbackApp.
 */
export function useLoopbackApp(opts: LoopbackAppOptions = {}, logLines?: number): () => LoopbackApp {
    let stack: LoopbackApp | undefined;
    before(async function () {
        this.timeout(300_000); // may build the Go binary first
        stack = await LoopbackApp.start(opts);
    });
    after(async () => {
        await stack?.stop();
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") console.log(stack?.logs(logLines));
    });
    return () => {
        if (stack === undefined) throw new Error("the loopback stack did not start");
        return stack;
    };
}

export interface LoopbackAppOptions {
    readonly apis?: number;
    readonly apiEnv?: Record<string, string>;
}

/** redis + N API instances + nginx in front of them. */
export class LoopbackApp {
    readonly dir: string;
    redis!: RedisServer;
    apis: ApiServer[] = [];
    nginx!: Nginx;

    private constructor() {
        this.dir = tempDir("app-stack-");
    }

    /**
     * apiEnv defaults to no shutdown delay (SHUTDOWN_DELAY=0) so that tearing a
     * stack down is quick; pass {} for the binary's own defaults.
     */
    static async start(opts: LoopbackAppOptions = {}): Promise<LoopbackApp> {
        const s = new LoopbackApp();
        try {
            requireBinary("redis-server");
            requireBinary("nginx");
            const dataDir = path.join(s.dir, "redis-data");
            fs.mkdirSync(dataDir);
            s.redis = new RedisServer(await freePort(), dataDir);
            await s.redis.start();
            for (let i = 0; i < (opts.apis ?? 1); i++) {
                const api = new ApiServer(await freePort(), s.redis.port, opts.apiEnv ?? { SHUTDOWN_DELAY: "0" });
                await api.start();
                s.apis.push(api);
            }
            s.nginx = new Nginx(
                await freePort(),
                s.apis.map((a) => a.port),
            );
            await s.nginx.start();
            return s;
        } catch (err) {
            await s.stop();
            throw err;
        }
    }

    get port(): number {
        return this.nginx.port;
    }

    /** The last lines of every process' output, for failure messages. */
    logs(n = 15): string {
        return [this.nginx?.proc, this.redis?.proc, ...this.apis.map((a) => a.proc)]
            .filter((p): p is Proc => p !== undefined)
            .map((p) => p.tail(n))
            .join("\n");
    }

    async stop(): Promise<void> {
        await Promise.all([this.nginx?.stop(), ...this.apis.map((a) => a.stop())]);
        await this.redis?.stop("SIGTERM").catch(() => this.redis?.proc?.signal("SIGKILL"));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Where the suite writes measurements (git-ignored). */
export function resultsFile(name: string): string {
    const dir = path.join(REPO_ROOT, ".cache", "app-test-results");
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, name);
}

// ---------------------------------------------------------------- load

export interface LoadResult {
    /** Requests answered 200. */
    ok: number;
    /** Everything else: other statuses and network errors, by kind. */
    failed: number;
    failures: Record<string, number>;
    /** Date.now() of every 200, in order (per worker, merged unsorted). */
    okTimes: number[];
    /** Requests sent, per method. */
    sent: Record<string, number>;
    elapsedMs: number;
}

/**
 * Runs `concurrency` workers, each sending requests back to back through a
 * keep-alive agent, until `stop()` is called or `maxMs` passes (whichever is
 * first). `next(worker, n)` picks each request's method and path.
 */
export function startLoad(opts: {
    port: number;
    concurrency: number;
    maxMs: number;
    next: (worker: number, n: number) => { method: string; path: string };
    onOk?: (worker: number, method: string, path: string, body: string) => void;
    /** Reuse connections to nginx (default true). */
    keepAlive?: boolean;
}): { stop: () => Promise<LoadResult>; done: Promise<LoadResult> } {
    const agent =
        opts.keepAlive === false
            ? new http.Agent({ keepAlive: false, maxSockets: opts.concurrency })
            : keepAliveAgent(opts.concurrency);
    const result: LoadResult = { ok: 0, failed: 0, failures: {}, okTimes: [], sent: {}, elapsedMs: 0 };
    const started = Date.now();
    let stopped = false;
    const worker = async (w: number) => {
        for (let n = 0; !stopped && Date.now() - started < opts.maxMs; n++) {
            const { method, path: p } = opts.next(w, n);
            result.sent[method] = (result.sent[method] ?? 0) + 1;
            try {
                const r = await request(opts.port, method, p, { agent, timeoutMs: 5000 });
                if (r.status === 200) {
                    result.ok++;
                    result.okTimes.push(Date.now());
                    opts.onOk?.(w, method, p, r.body);
                } else {
                    result.failed++;
                    const k = `${method} ${r.status}`;
                    result.failures[k] = (result.failures[k] ?? 0) + 1;
                }
            } catch (err) {
                result.failed++;
                const k = `${method} ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
                result.failures[k] = (result.failures[k] ?? 0) + 1;
            }
        }
    };
    const done = Promise.all(Array.from({ length: opts.concurrency }, (_, w) => worker(w))).then(() => {
        result.elapsedMs = Date.now() - started;
        agent.destroy();
        return result;
    });
    return {
        done,
        stop: () => {
            stopped = true;
            return done;
        },
    };
}
