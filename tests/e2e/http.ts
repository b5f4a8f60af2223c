// HTTP to the app through a NodePort of the real node (http://$E2E_NODE_IP:<nodePort>): one request, the
// tutorial's session, and a load generator bounded in requests and time.
import * as assert from "node:assert/strict";
import * as http from "node:http";

export interface Address {
    readonly host: string;
    readonly port: number;
}

export interface Reply {
    readonly status: number;
    readonly contentType?: string;
    readonly body: string;
}

export function request(to: Address, method: string, path: string, agent?: http.Agent): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: to.host, port: to.port, method, path, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
                resolve({
                    status: res.statusCode ?? 0,
                    contentType: res.headers["content-type"],
                    body: Buffer.concat(chunks).toString("utf8"),
                }),
            );
            res.on("error", reject);
        });
        req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
        req.on("error", reject);
        req.end();
    });
}

/**
 * The tutorial's session (README) for one user, as the Go API answers it: exact bodies, 200, text/plain.
 * `user` must be a counter nobody has touched yet.
 */
export async function tutorialSession(to: Address, user: number): Promise<void> {
    const steps: [string, string, string][] = [
        ["GET", `/users/${user}`, "0"],
        ["POST", `/users/${user}`, "1"],
        ["POST", `/users/${user}`, "2"],
        ["GET", "/healthz", "✓"],
    ];
    for (const [method, path, body] of steps) {
        const reply = await request(to, method, path);
        assert.deepEqual(
            reply,
            { status: 200, contentType: "text/plain; charset=UTF-8", body },
            `${method} http://${to.host}:${to.port}${path}`,
        );
    }
}

export interface LoadFigures {
    sent: number;
    ok: number;
    failed: number;
    /** Failed requests by "METHOD status-or-error". */
    failures: Record<string, number>;
    seconds: number;
}

/**
 * `workers` clients on keep-alive connections, each sending `next(worker, n)` in turn, `pauseMs` apart, until
 * stop() is called, `maxRequests` were sent or `maxSeconds` passed, whichever comes first. A request fails on
 * any status but 200, a network error or 5 s without an answer.
 */
export function startLoad(opts: {
    readonly to: Address;
    readonly workers: number;
    readonly maxRequests: number;
    readonly maxSeconds: number;
    readonly pauseMs: number;
    readonly next: (worker: number, n: number) => { method: string; path: string };
    readonly onOk?: (worker: number, method: string, body: string) => void;
}): { stop: () => Promise<LoadFigures> } {
    const agent = new http.Agent({ keepAlive: true, maxSockets: opts.workers });
    const figures: LoadFigures = { sent: 0, ok: 0, failed: 0, failures: {}, seconds: 0 };
    const started = Date.now();
    let stopped = false;
    const running = () => !stopped && figures.sent < opts.maxRequests && Date.now() - started < opts.maxSeconds * 1000;
    const fail = (what: string) => {
        figures.failed++;
        figures.failures[what] = (figures.failures[what] ?? 0) + 1;
    };
    const worker = async (w: number) => {
        for (let n = 0; running(); n++) {
            const { method, path } = opts.next(w, n);
            figures.sent++;
            try {
                const reply = await request(opts.to, method, path, agent);
                if (reply.status !== 200) fail(`${method} ${reply.status}`);
                else {
                    figures.ok++;
                    opts.onOk?.(w, method, reply.body);
                }
            } catch (e) {
                fail(`${method} ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            }
            await new Promise((r) => setTimeout(r, opts.pauseMs));
        }
    };
    const done = Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w))).then(() => {
        figures.seconds = (Date.now() - started) / 1000;
        agent.destroy();
        return figures;
    });
    return {
        stop: () => {
            stopped = true;
            return done;
        },
    };
}
