import * as assert from "node:assert/strict";
import { request } from "../../tools/loopback/clients";
import { useLoopbackApp } from "../helpers/loopback";
import { RawResult, rawExchange } from "../helpers/raw-socket";

/**
 * Hostile and malformed requests through nginx: never a 5xx. A 4xx from nginx
 * or from the API is fine, and so is nginx closing the connection on a slow
 * sender. Each case is one raw HTTP/1.1 exchange with "Connection: close".
 */
describe("app on loopback: bad input through nginx never yields a 5xx", function () {
    this.timeout(30_000);
    const stack = useLoopbackApp();

    const req = (method: string, target: string, headers: string[] = [], body = "") =>
        `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers.map((h) => h + "\r\n").join("")}\r\n${body}`;

    /** [name, what to send, the exact status wanted, or a range] */
    const cases: Array<[string, () => Array<string | Buffer>, number | [number, number]]> = [
        ["non-numeric id", () => [req("GET", "/users/abc")], 400],
        ["negative id", () => [req("GET", "/users/-1")], 400],
        ["id with plus sign", () => [req("POST", "/users/+5")], 400],
        ["fractional id", () => [req("GET", "/users/1.5")], 400],
        ["int64 overflow", () => [req("POST", "/users/9223372036854775808")], 400],
        ["uint64 overflow", () => [req("GET", "/users/99999999999999999999999")], 400],
        ["5000-digit id (reaches the API)", () => [req("GET", "/users/" + "7".repeat(5000))], 400],
        ["50000-digit id (nginx: URI too long)", () => [req("GET", "/users/" + "7".repeat(50_000))], [400, 499]],
        ["percent-encoded NUL", () => [req("GET", "/users/1%00")], [400, 499]],
        ["encoded CRLF injection", () => [req("POST", "/users/1%0D%0AFLUSHALL")], 400],
        ["PUT", () => [req("PUT", "/users/1")], 405],
        ["DELETE", () => [req("DELETE", "/users/1")], 405],
        ["PATCH", () => [req("PATCH", "/users/1")], 405],
        ["OPTIONS", () => [req("OPTIONS", "/users/1")], 405],
        ["unknown method", () => [req("BREW", "/users/1")], [400, 499]],
        ["POST /healthz", () => [req("POST", "/healthz")], 405],
        ["unknown path", () => [req("GET", "/admin")], 404],
        ["root", () => [req("GET", "/")], 404],
        ["empty id", () => [req("GET", "/users/")], 404],
        ["nested path", () => [req("GET", "/users/1/friends")], 404],
        ["path traversal", () => [req("GET", "/users/../../etc/passwd")], [400, 499]],
        [
            "2 MiB body",
            () => [req("POST", "/users/1", ["Content-Length: 2097152"]), Buffer.alloc(2 * 1024 * 1024, 0x41)],
            413,
        ],
        ["huge Content-Length, no body", () => [req("POST", "/users/1", ["Content-Length: 1000000000000"])], 413],
        [
            "64 KiB chunked body",
            () => [
                req("POST", "/users/1", ["Transfer-Encoding: chunked"]),
                ...Array.from({ length: 64 }, () => `400\r\n${"B".repeat(1024)}\r\n`),
                "0\r\n\r\n",
            ],
            413,
        ],
        ["small body on POST (ignored)", () => [req("POST", "/users/424242", ["Content-Length: 5"], "hello")], 200],
        [
            "Content-Length and chunked together",
            () => [req("POST", "/users/1", ["Content-Length: 3", "Transfer-Encoding: chunked"], "0\r\n\r\n")],
            [400, 499],
        ],
        ["invalid Content-Length", () => [req("POST", "/users/1", ["Content-Length: -5"])], 400],
        ["one 64 KiB header", () => [req("GET", "/users/1", ["X-Big: " + "h".repeat(64 * 1024)])], [400, 499]],
        [
            "500 headers",
            () => [
                req(
                    "GET",
                    "/users/1",
                    Array.from({ length: 500 }, (_, i) => `X-H${i}: ${"v".repeat(100)}`),
                ),
            ],
            [400, 499],
        ],
        [
            "many cookies",
            () => [
                req("GET", "/users/1", ["Cookie: " + Array.from({ length: 2000 }, (_, i) => `c${i}=${i}`).join("; ")]),
            ],
            [400, 499],
        ],
        ["garbage request line", () => ["\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http\r\n\r\n"], [400, 499]],
        ["HTTP/1.0 without Host", () => ["GET /users/abc HTTP/1.0\r\n\r\n"], 400],
        ["HTTP/2 preface on HTTP/1 port", () => ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"], [400, 499]],
        ["bad Host header", () => ["GET /users/1 HTTP/1.1\r\nHost: a b/c\r\nConnection: close\r\n\r\n"], [400, 499]],
    ];

    for (const [name, build, want] of cases) {
        it(name, async () => {
            const r: RawResult = await rawExchange(stack().port, build(), { timeoutMs: 5000 });
            const first = r.text.split("\r\n")[0];
            if (process.env.SHOW_STATUS) console.log(`      -> ${first}`);
            assert.ok(
                r.status !== undefined,
                `no HTTP response (closed by server: ${r.closedByServer}); got ${JSON.stringify(r.text.slice(0, 200))}`,
            );
            assert.ok(r.status < 500, `5xx: ${first}`);
            if (typeof want === "number") assert.equal(r.status, want, first);
            else assert.ok(r.status >= want[0] && r.status <= want[1], `${first}, want ${want[0]}..${want[1]}`);
        });
    }

    it("cuts off a slowloris sender without a 5xx (bounded: 10 s)", async () => {
        // A request line, then one header byte every 300 ms: never a complete header.
        const drip = Array.from({ length: 33 }, (_, i) =>
            i === 0 ? "GET /users/1 HTTP/1.1\r\nHost: localhost\r\nX-Slow: " : "a",
        );
        const r = await rawExchange(stack().port, drip, { gapMs: 300, timeoutMs: 10_000 });
        assert.ok(r.closedByServer, `nginx kept a slow sender for ${r.elapsedMs} ms`);
        // client_header_timeout is 5 s: closed well before the 10 s the sender would take.
        assert.ok(r.elapsedMs < 8000, `closed after ${r.elapsedMs} ms`);
        if (r.status !== undefined) assert.ok(r.status >= 400 && r.status < 500, r.text.split("\r\n")[0]);
    });

    it("is still serving afterwards, and nothing reached Redis but the one valid POST", async () => {
        const r = await request(stack().port, "GET", "/users/424242");
        assert.equal(r.status, 200);
        assert.equal(r.body, "1");
        const u1 = await request(stack().port, "GET", "/users/1");
        assert.equal(u1.body, "0", "no malformed request incremented user 1");
        assert.ok(
            stack().apis.every((a) => a.proc?.running),
            "an API process died",
        );
    });
});
