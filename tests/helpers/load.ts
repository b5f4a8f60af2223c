// A load generator for the app suite (loopback) and the engine suite (the real node's NodePort): concurrent
// workers sending requests in turn, bounded in requests and in time, counting what succeeded and when.
import * as http from "node:http";
import { request } from "../../tools/loopback/clients";

export interface LoadResult {
    /** Requests sent, in all and per method. */
    sent: number;
    sentByMethod: Record<string, number>;
    /** Requests answered 200, and Date.now() of each (per worker, merged unsorted). */
    ok: number;
    okTimes: number[];
    /** Everything else: other statuses, network errors and 5 s without an answer, by "METHOD status-or-error". */
    failed: number;
    failures: Record<string, number>;
    seconds: number;
}

/**
 * `workers` clients, each sending `next(worker, n)` in turn (`pauseMs` apart, default none) until stop() is
 * called, `maxRequests` were sent or `maxSeconds` passed, whichever comes first. Connections are kept alive
 * (as a browser or a load balancer would) unless `keepAlive` is false.
 */
export function startLoad(opts: {
    /** Where to: the loopback stack's nginx (HOST) or a NodePort on the node. */
    readonly to: { readonly host: string; readonly port: number };
    readonly workers: number;
    readonly maxRequests: number;
    readonly maxSeconds: number;
    readonly pauseMs?: number;
    readonly keepAlive?: boolean;
    readonly next: (worker: number, n: number) => { method: string; path: string };
    readonly onOk?: (worker: number, method: string, body: string) => void;
}): { stop: () => Promise<LoadResult>; done: Promise<LoadResult> } {
    const { to } = opts;
    const agent = new http.Agent({ keepAlive: opts.keepAlive !== false, maxSockets: opts.workers });
    const result: LoadResult = { sent: 0, sentByMethod: {}, ok: 0, okTimes: [], failed: 0, failures: {}, seconds: 0 };
    const started = Date.now();
    let stopped = false;
    const running = () => !stopped && result.sent < opts.maxRequests && Date.now() - started < opts.maxSeconds * 1000;
    const fail = (what: string) => {
        result.failed++;
        result.failures[what] = (result.failures[what] ?? 0) + 1;
    };
    const worker = async (w: number) => {
        for (let n = 0; running(); n++) {
            const { method, path } = opts.next(w, n);
            result.sent++;
            result.sentByMethod[method] = (result.sentByMethod[method] ?? 0) + 1;
            try {
                const r = await request(to.port, method, path, { host: to.host, agent, timeoutMs: 5000 });
                if (r.status !== 200) fail(`${method} ${r.status}`);
                else {
                    result.ok++;
                    result.okTimes.push(Date.now());
                    opts.onOk?.(w, method, r.body);
                }
            } catch (err) {
                fail(`${method} ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
            }
            if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
        }
    };
    const done = Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w))).then(() => {
        result.seconds = (Date.now() - started) / 1000;
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
