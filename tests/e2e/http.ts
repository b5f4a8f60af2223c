// HTTP to the app through a NodePort of the real node (http://$E2E_NODE_IP:<nodePort>): one request and the
// tutorial's session. The load generator is tests/helpers/load.ts, shared with the app suite.
import * as assert from "node:assert/strict";
import { request as httpRequest } from "../../tools/loopback/clients";

export interface Address {
    readonly host: string;
    readonly port: number;
}

export interface Reply {
    readonly status: number;
    readonly contentType?: string;
    readonly body: string;
}

/** One request to `to`; rejects on a network error or after 5 s without an answer. */
export async function request(to: Address, method: string, path: string): Promise<Reply> {
    const reply = await httpRequest(to.port, method, path, { host: to.host, timeoutMs: 5000 });
    return { status: reply.status, contentType: reply.headers["content-type"], body: reply.body };
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
