// A raw TCP client for what an HTTP client library will not send: slow, partial or malformed requests.
import * as net from "node:net";
import { HOST } from "../../tools/loopback/clients";
import { sleep } from "../../tools/loopback/wait";

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
