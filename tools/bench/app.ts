/**
 * Loopback benchmark of the app (npm run bench:app): wrk, same concurrency
 * for every target, one run each of BENCH_DURATION (default 10 s):
 *   (a) nginx -> API -> Redis   (b) API -> Redis directly   floor: redis-benchmark -t incr
 * with the same rendered nginx.conf and redis.conf as the cluster (tools/loopback/stack.ts).
 * Prints a table and the (a)/(b) ratio; writes .cache/app-test-results/bench.json.
 *
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 32), BENCH_THREADS (default 2).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireBinary } from "../loopback/binaries";
import { HOST } from "../loopback/clients";
import { LoopbackApp, resultsFile } from "../loopback/stack";

const duration = Math.min(Math.max(Number(process.env.BENCH_DURATION ?? 10), 1), 60);
const connections = Math.min(Math.max(Number(process.env.BENCH_CONNECTIONS ?? 32), 1), 1000);
const threads = Math.min(Math.max(Number(process.env.BENCH_THREADS ?? 2), 1), connections);

interface Row {
    target: string;
    op: string;
    rps: number;
    p50ms: number;
    p99ms: number;
    errors: string;
}

function toMs(v: string): number {
    const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
    if (!m) return NaN;
    const n = Number(m[1]);
    return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

function wrk(wrkBin: string, url: string, script: string): Omit<Row, "target" | "op"> {
    const out = execFileSync(
        wrkBin,
        [`-t${threads}`, `-c${connections}`, `-d${duration}s`, "--timeout", "5s", "--latency", "-s", script, url],
        {
            encoding: "utf8",
            timeout: (duration + 30) * 1000,
        },
    );
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
    const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
    const errs: string[] = [];
    const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
    if (non2xx) errs.push(`${non2xx[1]} non-2xx`);
    const sock = /Socket errors:\s+(.*)/.exec(out);
    if (sock) errs.push(`socket errors: ${sock[1]}`);
    if (!Number.isFinite(rps)) throw new Error(`could not parse wrk output:\n${out}`);
    return { rps, p50ms: p50, p99ms: p99, errors: errs.join("; ") || "0" };
}

function redisBenchmark(bin: string, port: number): Omit<Row, "target" | "op"> {
    // No duration option: a request count sized to take a few seconds.
    const out = execFileSync(
        bin,
        ["-h", HOST, "-p", String(port), "-t", "incr", "-c", String(connections), "-n", "300000", "--csv"],
        {
            encoding: "utf8",
            timeout: 120_000,
        },
    );
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const line = out.split("\n").find((l) => l.startsWith('"INCR"'));
    if (!line) throw new Error(`could not parse redis-benchmark output:\n${out}`);
    const f = line.split(",").map((s) => Number(s.replace(/"/g, "")));
    return { rps: f[1], p50ms: f[4], p99ms: f[6], errors: "0" };
}

async function main(): Promise<void> {
    const wrkBin = requireBinary("wrk");
    const rbBin = requireBinary("redis-benchmark");
    const luaDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lua-"));
    // Random ids spread the keys; same distribution for GET and POST.
    const lua = (method: string) =>
        `math.randomseed(os.time())\nrequest = function()\n  return wrk.format("${method}", "/users/" .. math.random(1, 100000))\nend\n`;
    fs.writeFileSync(path.join(luaDir, "get.lua"), lua("GET"));
    fs.writeFileSync(path.join(luaDir, "post.lua"), lua("POST"));

    const stack = await LoopbackApp.start({ apis: 1 });
    const rows: Row[] = [];
    try {
        const targets: Array<[string, number]> = [
            ["(a) nginx -> API -> Redis", stack.port],
            ["(b) API -> Redis", stack.apis[0].port],
        ];
        for (const [target, port] of targets) {
            for (const op of ["GET", "POST"]) {
                process.stderr.write(`bench: ${target} ${op} for ${duration}s with ${connections} connections...\n`);
                rows.push({
                    target,
                    op,
                    ...wrk(wrkBin, `http://${HOST}:${port}`, path.join(luaDir, `${op.toLowerCase()}.lua`)),
                });
            }
        }
        process.stderr.write(`bench: redis-benchmark -t incr with ${connections} connections...\n`);
        rows.push({ target: "floor: redis-benchmark", op: "INCR", ...redisBenchmark(rbBin, stack.redis.port) });
    } finally {
        await stack.stop();
        fs.rmSync(luaDir, { recursive: true, force: true });
    }

    const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : "?");
    const lines = [
        `wrk -t${threads} -c${connections} -d${duration}s, loopback, ${os.cpus().length} CPUs shared by client and servers`,
        "",
        "| target | op | requests/s | p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | --- |",
        ...rows.map(
            (r) =>
                `| ${r.target} | ${r.op} | ${fmt(r.rps, 0)} | ${fmt(r.p50ms, 2)} | ${fmt(r.p99ms, 2)} | ${r.errors} |`,
        ),
        "",
    ];
    const ratios: Record<string, number> = {};
    for (const op of ["GET", "POST"]) {
        const a = rows.find((r) => r.target.startsWith("(a)") && r.op === op)!;
        const b = rows.find((r) => r.target.startsWith("(b)") && r.op === op)!;
        ratios[op] = a.rps / b.rps;
        lines.push(`(a)/(b) ${op}: ${(100 * ratios[op]).toFixed(0)}% (goal >= 60%)`);
    }
    console.log(lines.join("\n"));
    fs.writeFileSync(
        resultsFile("bench.json"),
        JSON.stringify({ duration, connections, threads, rows, ratios }, null, 2) + "\n",
    );
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
