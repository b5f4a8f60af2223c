import * as assert from "node:assert/strict";
import { freePort, redisCommand, request } from "../../tools/loopback/clients";
import { Nginx } from "../../tools/loopback/servers";
import { useLoopbackApp } from "../helpers/loopback";

describe("app on loopback: the tutorial's HTTP session through nginx", function () {
    this.timeout(60_000);
    const stack = useLoopbackApp();

    it("reproduces the tutorial's session byte for byte", async () => {
        const steps: Array<[string, string, string]> = [
            ["GET", "/users/249", "0"],
            ["POST", "/users/249", "1"],
            ["POST", "/users/249", "2"],
            ["POST", "/users/249", "3"],
            ["GET", "/users/249", "3"],
            ["GET", "/users/32", "0"],
        ];
        for (const [method, path, want] of steps) {
            const r = await request(stack().port, method, path);
            assert.equal(r.status, 200, `${method} ${path}`);
            assert.equal(r.body, want, `${method} ${path}`);
            assert.equal(r.headers["content-type"], "text/plain; charset=UTF-8");
        }
    });

    it("answers /healthz with the check mark, as in the tutorial", async () => {
        const r = await request(stack().port, "GET", "/healthz");
        assert.equal(r.status, 200);
        assert.equal(r.body, "✓");
        assert.equal(r.headers["content-type"], "text/plain; charset=UTF-8");
        assert.equal(r.headers["content-length"], "3");
        assert.equal(r.headers["server"], "nginx", "server_tokens off hides the version");
    });

    it("keeps the counters in Redis under user:<id>", async () => {
        assert.equal(await redisCommand(stack().redis.port, "GET user:249"), "3");
    });

    it("answers its own health path without any upstream", async () => {
        // An nginx whose only upstream is a port nobody listens on.
        const dead = await freePort();
        const lonely = new Nginx(await freePort(), [dead]);
        try {
            await lonely.start();
            const health = await request(lonely.port, "GET", "/nginx-health");
            assert.equal(health.status, 200);
            assert.equal(health.body, "ok\n");
            const proxied = await request(lonely.port, "GET", "/users/1");
            assert.equal(proxied.status, 502, "sanity check: the upstream really is down");
        } finally {
            await lonely.stop();
        }
    });
});
