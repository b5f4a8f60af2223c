/**
 * The app on loopback, for the app suite (tests/app) and the benchmark (tools/bench/app.ts): real
 * redis-server, the Go API binary and real nginx, each on a free 127.0.0.1 port, configured by the very
 * functions the Pulumi program uses (renderRedisConfig, renderNginxConfig).
 *
 * Every process started here is tracked and killed by `LoopbackApp.stop()` (the suite's after-hooks call it:
 * tests/helpers/loopback.ts) and, as a last resort, when the process exits.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../project";
import { requireBinary } from "./binaries";
import { freePort } from "./clients";
import { Proc } from "./process";
import { ApiServer, Nginx, RedisServer, tempDir } from "./servers";

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

/** Where the suite and the benchmark write measurements (git-ignored). */
export function resultsFile(name: string): string {
    const dir = path.join(REPO_ROOT, ".cache", "app-test-results");
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, name);
}
