import * as assert from "node:assert/strict";
import { request } from "../../tools/loopback/clients";
import { waitFor } from "../../tools/loopback/wait";
import { useLoopbackApp } from "../helpers/loopback";

describe("app on loopback: Redis down and back", function () {
    this.timeout(30_000);
    const stack = useLoopbackApp();

    it("has a counter before the outage", async () => {
        for (const want of ["1", "2"]) {
            const r = await request(stack().port, "POST", "/users/77");
            assert.equal(r.status, 200);
            assert.equal(r.body, want);
        }
    });

    it("answers 503 for /users, fails /readyz, keeps /healthz while Redis is down", async () => {
        const exit = await stack().redis.stop("SIGTERM");
        assert.equal(exit.code, 0);
        const api = stack().apis[0].port;
        const cases: Array<[string, number, string, number]> = [
            ["nginx", stack().port, "GET /users/77", 503],
            ["nginx", stack().port, "POST /users/77", 503],
            ["nginx", stack().port, "GET /users/1", 503],
            ["nginx", stack().port, "GET /readyz", 503],
            ["api", api, "GET /readyz", 503],
            ["api", api, "POST /users/77", 503],
        ];
        for (const [via, port, what, want] of cases) {
            const [method, path] = what.split(" ");
            const started = Date.now();
            const r = await request(port, method, path);
            assert.equal(r.status, want, `${what} via ${via}: ${r.status} ${r.body}`);
            assert.ok(Date.now() - started < 3000, `${what} via ${via} took ${Date.now() - started} ms`);
        }
        const h = await request(stack().port, "GET", "/healthz");
        assert.equal(h.status, 200);
        assert.equal(h.body, "✓");
        assert.ok(stack().apis[0].proc?.running, "the API must keep running while Redis is down");
    });

    it("recovers when Redis returns, with the data it had", async () => {
        await stack().redis.start();
        await waitFor(
            "GET /users/77 through nginx to answer 200",
            async () => (await request(stack().port, "GET", "/users/77")).status === 200,
            10_000,
        );
        assert.equal((await request(stack().port, "GET", "/users/77")).body, "2");
        assert.equal((await request(stack().port, "POST", "/users/77")).body, "3");
        assert.equal((await request(stack().apis[0].port, "GET", "/readyz")).status, 200);
    });

    it("logs the outage once, not once per request", () => {
        const log = stack().apis[0].proc?.output() ?? "";
        const down = log.split("\n").filter((l) => l.includes("redis unavailable"));
        const back = log.split("\n").filter((l) => l.includes("redis available again"));
        assert.equal(down.length, 1, log);
        assert.equal(back.length, 1, log);
    });
});
