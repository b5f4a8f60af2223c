import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { HOST, request } from "../../tools/loopback/clients";
import { resultsFile } from "../../tools/loopback/stack";
import { sleep } from "../../tools/loopback/wait";
import { startLoad } from "../helpers/load";
import { useLoopbackApp } from "../helpers/loopback";

/**
 * Two API instances behind nginx (two upstreams, the same rendered config as
 * the cluster's), restarted one at a time (SIGTERM, wait for exit, start, wait
 * for /readyz) under load through nginx: not one request may fail, POSTs
 * included.
 *
 * nginx retries the next upstream after a connection error only while the
 * request has not been sent (a refused connect), never a POST it has already
 * sent. So the API, on SIGTERM (binary defaults):
 *   - fails /readyz but serves as usual for SHUTDOWN_DELAY (2 s), keep-alive
 *     included, so nginx opens no new connections to it;
 *   - closes its listener: new connections are refused and retried on the
 *     other instance;
 *   - answers every request with "Connection: close" for up to SHUTDOWN_DRAIN
 *     (5 s, more than nginx's 4 s upstream keepalive_timeout), so each pooled
 *     connection ends after a complete response or is dropped by nginx as idle;
 *   - then waits for in-flight requests and exits 0.
 */
describe("app on loopback: rolling restart of two API instances under load", function () {
    this.timeout(90_000);
    // {} = the binary's default shutdown timings, as in the cluster.
    // ROLLING_API_ENV='{"SHUTDOWN_DRAIN":"0"}' shows what the drain is for.
    const apiEnv = process.env.ROLLING_API_ENV
        ? (JSON.parse(process.env.ROLLING_API_ENV) as Record<string, string>)
        : {};
    const stack = useLoopbackApp({ apis: 2, apiEnv }, 25);

    it("serves every request, GET and POST, while each instance restarts in turn", async () => {
        const workers = 4;
        const acked = new Array<number>(workers).fill(0);
        const lastSeen = new Array<number>(workers).fill(0);
        let nonMonotonic = 0;
        // Each worker owns a user id: POST then GET, alternately, on keep-alive connections.
        const load = startLoad({
            to: { host: HOST, port: stack().port },
            workers,
            maxRequests: 400_000,
            maxSeconds: 60,
            next: (w, n) => ({ method: n % 2 === 0 ? "POST" : "GET", path: `/users/${5000 + w}` }),
            onOk: (w, method, body) => {
                const v = Number(body);
                if (v < lastSeen[w]) nonMonotonic++;
                lastSeen[w] = v;
                if (method === "POST") acked[w]++;
            },
        });

        const timeline: string[] = [];
        const t0 = Date.now();
        const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(2)}s ${what}`);
        try {
            await sleep(1000);
            for (const api of stack().apis) {
                mark(`SIGTERM ${api.port}`);
                api.proc?.signal("SIGTERM");
                const exit = await api.proc!.waitExit(30_000);
                mark(`${api.port} exited ${exit.code}`);
                assert.deepEqual(exit, { code: 0, signal: null }, `api:${api.port} did not exit cleanly`);
                await api.start();
                mark(`${api.port} ready`);
            }
            await sleep(1000);
        } finally {
            const res = await load.stop();
            mark("load stopped");
            const summary = { ...res, okTimes: undefined, timeline, acked, nonMonotonic };
            fs.writeFileSync(resultsFile("rolling-restart.json"), JSON.stringify(summary, null, 2) + "\n");
            console.log(
                `      ${res.ok} ok, ${res.failed} failed in ${res.seconds.toFixed(1)} s ${JSON.stringify(res.sentByMethod)}`,
            );
            console.log(`      ${timeline.join("; ")}`);
            assert.equal(res.failed, 0, `failed requests: ${JSON.stringify(res.failures)}`);
            assert.ok(res.ok > 500, `too little load to mean anything: ${res.ok}`);
        }

        // Every acknowledged POST counted once: the counters equal the acks.
        for (let w = 0; w < workers; w++) {
            const r = await request(stack().port, "GET", `/users/${5000 + w}`);
            assert.equal(r.body, String(acked[w]), `user ${5000 + w}`);
        }
        assert.equal(nonMonotonic, 0, "a counter went backwards");
    });
});
