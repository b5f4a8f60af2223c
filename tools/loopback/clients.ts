// The loopback address, a free port on it, and the two clients the stack is checked with: one HTTP
// request, one Redis command.
import * as http from "node:http";
import * as net from "node:net";

export const HOST = "127.0.0.1";

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, HOST, () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

export interface HttpResult {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

const noKeepAlive = new http.Agent({ keepAlive: false });

/** One HTTP request to host (default 127.0.0.1):port. Rejects on network errors and after timeoutMs. */
export function request(
    port: number,
    method: string,
    urlPath: string,
    opts: {
        host?: string;
        headers?: http.OutgoingHttpHeaders;
        body?: string | Buffer;
        agent?: http.Agent;
        timeoutMs?: number;
    } = {},
): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                host: opts.host ?? HOST,
                port,
                method,
                path: urlPath,
                headers: opts.headers,
                agent: opts.agent ?? noKeepAlive,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body: Buffer.concat(chunks).toString("utf8"),
                    }),
                );
                res.on("error", reject);
            },
        );
        req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
        req.on("error", reject);
        req.end(opts.body);
    });
}

/** Sends one RESP command (inline) and returns the first reply line. */
export function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
    return new Promise((resolve, reject) => {
        const s = net.connect(port, HOST);
        let buf = "";
        const t = setTimeout(() => {
            s.destroy();
            reject(new Error(`redis ${command}: timeout`));
        }, timeoutMs);
        s.on("connect", () => s.write(command + "\r\n"));
        s.on("data", (d) => {
            buf += d.toString("utf8");
            // +OK / :123 / -ERR are one line; $n\r\nvalue\r\n is two.
            const lines = buf.split("\r\n");
            const complete = buf.startsWith("$")
                ? buf.startsWith("$-1")
                    ? lines.length >= 2
                    : lines.length >= 3
                : lines.length >= 2;
            if (complete) {
                clearTimeout(t);
                s.destroy();
                resolve(buf.startsWith("$") && !buf.startsWith("$-1") ? lines[1] : lines[0]);
            }
        });
        s.on("error", (e) => {
            clearTimeout(t);
            reject(e);
        });
    });
}
