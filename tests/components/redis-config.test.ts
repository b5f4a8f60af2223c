import * as assert from "node:assert/strict";
import { REDIS_DEFAULT_BIND, RedisConfigParams, renderRedisConfig } from "../../components/redis-config";

const cluster: RedisConfigParams = { port: 6379, dataDir: "/data" };

/** Directive lines (comments and blanks dropped), trimmed. */
function directives(conf: string): string[] {
    return conf
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !l.startsWith("#"));
}

/** Every value a directive is given, in order. */
function values(conf: string, name: string): string[] {
    return directives(conf)
        .filter((l) => l.split(/\s+/)[0] === name)
        .map((l) => l.slice(name.length).trim());
}

describe("renderRedisConfig", () => {
    const conf = renderRedisConfig(cluster);

    const expected: Array<[string, string[]]> = [
        ["port", ["6379"]],
        ["bind", ["* -::*"]],
        ["protected-mode", ["no"]],
        ["dir", ["/data"]],
        ["appendonly", ["yes"]],
        ["appendfsync", ["everysec"]],
        ["aof-use-rdb-preamble", ["yes"]],
        ["aof-load-truncated", ["yes"]],
        ["save", ['""']],
        ["maxmemory-policy", ["noeviction"]],
        ["daemonize", ["no"]],
        ["logfile", ['""']],
    ];
    for (const [name, want] of expected) {
        it(`sets ${name} ${want.join(", ")}`, () => {
            assert.deepEqual(values(conf, name), want);
        });
    }

    const absent = ["requirepass", "masterauth", "user", "include", "maxmemory"];
    for (const name of absent) {
        it(`has no ${name} directive`, () => {
            assert.deepEqual(values(conf, name), []);
        });
    }

    it("explains why protected mode is off", () => {
        const i = conf.indexOf("protected-mode no");
        assert.match(conf.slice(0, i), /NetworkPolicy/);
    });

    it("uses the default bind when none is given", () => {
        assert.equal(REDIS_DEFAULT_BIND, "* -::*");
        assert.deepEqual(values(renderRedisConfig({ ...cluster, bind: undefined }), "bind"), ["* -::*"]);
    });

    it("is deterministic and ends with a newline", () => {
        assert.equal(renderRedisConfig(cluster), conf);
        assert.ok(conf.endsWith("\n"));
    });

    const variants: Array<[string, RedisConfigParams, Record<string, string[]>]> = [
        [
            "loopback test",
            { port: 40001, dataDir: "/tmp/redis-test-1", bind: "127.0.0.1" },
            { port: ["40001"], dir: ["/tmp/redis-test-1"], bind: ["127.0.0.1"] },
        ],
        [
            "two addresses",
            { port: 1, dataDir: "/", bind: " 127.0.0.1   ::1 " },
            { port: ["1"], dir: ["/"], bind: ["127.0.0.1 ::1"] },
        ],
        [
            "optional IPv6",
            { port: 65535, dataDir: "/var/lib/redis", bind: "0.0.0.0 -::" },
            { port: ["65535"], dir: ["/var/lib/redis"], bind: ["0.0.0.0 -::"] },
        ],
    ];
    for (const [name, params, want] of variants) {
        it(`renders the parameters: ${name}`, () => {
            const c = renderRedisConfig(params);
            for (const [k, v] of Object.entries(want)) assert.deepEqual(values(c, k), v, k);
            // everything but the parameters is the same text
            const strip = (s: string) => directives(s).filter((l) => !/^(port|dir|bind) /.test(l));
            assert.deepEqual(strip(c), strip(conf));
        });
    }

    const invalid: Array<[string, Partial<RedisConfigParams>, string]> = [
        ["port 0", { port: 0 }, "redis config: port must be an integer between 1 and 65535, got 0"],
        ["port 65536", { port: 65536 }, "redis config: port must be an integer between 1 and 65535, got 65536"],
        ["port fraction", { port: 6379.5 }, "redis config: port must be an integer between 1 and 65535, got 6379.5"],
        [
            "relative dataDir",
            { dataDir: "data" },
            "redis config: dataDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"data\"",
        ],
        [
            "empty dataDir",
            { dataDir: "" },
            "redis config: dataDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"\"",
        ],
        [
            "dataDir with newline",
            { dataDir: "/data\nrequirepass x" },
            "redis config: dataDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"/data\\nrequirepass x\"",
        ],
        [
            "empty bind",
            { bind: "  " },
            'redis config: bind must be space-separated IP addresses (e.g. "127.0.0.1" or "* -::*"), got "  "',
        ],
        [
            "hostname bind",
            { bind: "localhost" },
            'redis config: bind must be space-separated IP addresses (e.g. "127.0.0.1" or "* -::*"), got "localhost"',
        ],
        [
            "bind injection",
            { bind: "127.0.0.1\nprotected-mode yes" },
            'redis config: bind must be space-separated IP addresses (e.g. "127.0.0.1" or "* -::*"), got "127.0.0.1\\nprotected-mode yes"',
        ],
    ];
    for (const [name, override, message] of invalid) {
        it(`rejects ${name}`, () => {
            assert.throws(() => renderRedisConfig({ ...cluster, ...override }), { message });
        });
    }
});
