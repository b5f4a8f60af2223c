// A load generator: concurrent workers sending requests back to back, counting what succeeded and when.
import * as http from "node:http";
import { request } from "../../tools/loopback/clients";

/** Keep-alive agent for load loops (as a browser or a load balancer would). */
function keepAliveAgent(maxSockets = 8): http.Agent {
    return new http.Agent({ keepAlive: true, maxSockets });
}

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
