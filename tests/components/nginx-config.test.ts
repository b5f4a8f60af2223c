import * as assert from "node:assert/strict";
import {
    NGINX_HEALTH_PATH,
    NGINX_UPSTREAM_KEEPALIVE_TIMEOUT_SECONDS,
    NginxConfigParams,
    renderNginxConfig,
} from "../../components/nginx-config";

const cluster: NginxConfigParams = { listenPort: 8080, upstreams: ["app:1323"], runtimeDir: "/tmp" };

/** The body of the first `name {` block (braces balanced), or undefined. */
function block(conf: string, header: string): string | undefined {
    const start = conf.indexOf(header + " {");
    if (start < 0) return undefined;
    let depth = 0;
    for (let i = conf.indexOf("{", start); i < conf.length; i++) {
        if (conf[i] === "{") depth++;
        if (conf[i] === "}" && --depth === 0) return conf.slice(conf.indexOf("{", start) + 1, i);
    }
    return undefined;
}

/** Directive lines without comments, trimmed. */
function directives(conf: string): string[] {
    return conf
        .split("\n")
        .map((l) => l.replace(/#.*$/, "").trim())
        .filter((l) => l.length > 0);
}

describe("renderNginxConfig", () => {
    const conf = renderNginxConfig(cluster);
    const lines = directives(conf);

    const required: Array<[string, RegExp]> = [
        ["worker_processes auto", /^worker_processes auto;$/],
        ["pid under runtimeDir", /^pid \/tmp\/nginx\.pid;$/],
        ["error_log to stderr", /^error_log stderr( \w+)?;$/],
        ["access_log to stdout", /^access_log \/dev\/stdout( \w+)?;$/],
        ["client_body_temp_path", /^client_body_temp_path\s+\/tmp\/client_temp;$/],
        ["proxy_temp_path", /^proxy_temp_path\s+\/tmp\/proxy_temp;$/],
        ["fastcgi_temp_path", /^fastcgi_temp_path\s+\/tmp\/fastcgi_temp;$/],
        ["uwsgi_temp_path", /^uwsgi_temp_path\s+\/tmp\/uwsgi_temp;$/],
        ["scgi_temp_path", /^scgi_temp_path\s+\/tmp\/scgi_temp;$/],
        ["server_tokens off", /^server_tokens off;$/],
        ["small client_max_body_size", /^client_max_body_size 1k;$/],
        ["listen port", /^listen 8080;$/],
        ["upstream server", /^server app:1323( .*)?;$/],
        ["upstream keepalive", /^keepalive \d+;$/],
        ["upstream keepalive_timeout", new RegExp(`^keepalive_timeout ${NGINX_UPSTREAM_KEEPALIVE_TIMEOUT_SECONDS}s;$`)],
        ["proxy_http_version 1.1", /^proxy_http_version 1\.1;$/],
        ['Connection ""', /^proxy_set_header Connection "";$/],
        ["Host", /^proxy_set_header Host\s+\$host;$/],
        ["X-Real-IP", /^proxy_set_header X-Real-IP\s+\$remote_addr;$/],
        ["X-Forwarded-For", /^proxy_set_header X-Forwarded-For\s+\$proxy_add_x_forwarded_for;$/],
        ["X-Forwarded-Proto", /^proxy_set_header X-Forwarded-Proto\s+\$scheme;$/],
        ["X-Forwarded-Host", /^proxy_set_header X-Forwarded-Host\s+\$host;$/],
        ["proxy_connect_timeout", /^proxy_connect_timeout\s+\d+s;$/],
        ["proxy_send_timeout", /^proxy_send_timeout\s+\d+s;$/],
        ["proxy_read_timeout", /^proxy_read_timeout\s+\d+s;$/],
        ["proxy_next_upstream error timeout", /^proxy_next_upstream error timeout;$/],
        ["proxy_next_upstream_tries", /^proxy_next_upstream_tries \d+;$/],
        ["client_header_timeout", /^client_header_timeout \d+s;$/],
    ];
    for (const [name, re] of required) {
        it(`has ${name}`, () => {
            assert.ok(
                lines.some((l) => re.test(l)),
                `no line matches ${re} in:\n${conf}`,
            );
        });
    }

    const forbidden: Array<[string, RegExp]> = [
        ["a user directive (the image runs as uid 101)", /^user\s/],
        ["a daemon directive (the command passes -g 'daemon off;')", /^daemon\s/],
        ["non_idempotent retries", /non_idempotent/],
        ["paths outside runtimeDir", /\/var\/|\/run\//],
        ["server_tokens on", /^server_tokens on/],
    ];
    for (const [name, re] of forbidden) {
        it(`has no ${name}`, () => {
            assert.ok(!lines.some((l) => re.test(l)), `a line matches ${re}`);
        });
    }

    it("answers the health path itself, without the upstream", () => {
        const health = block(conf, `location = ${NGINX_HEALTH_PATH}`);
        assert.ok(health !== undefined, "no exact-match health location");
        assert.match(health, /return 200 /);
        assert.doesNotMatch(health, /proxy_pass/);
        assert.equal(NGINX_HEALTH_PATH, "/nginx-health");
    });

    it("proxies everything else to the upstream block", () => {
        const root = block(conf, "location /");
        assert.ok(root !== undefined);
        assert.match(root, /proxy_pass http:\/\/api;/);
    });

    it("has balanced braces and ends with a newline", () => {
        assert.equal((conf.match(/{/g) ?? []).length, (conf.match(/}/g) ?? []).length);
        assert.ok(conf.endsWith("}\n"));
    });

    it("is deterministic", () => {
        assert.equal(renderNginxConfig(cluster), conf);
    });

    const upstreamCases: Array<[string, string[]]> = [
        ["one service", ["app:1323"]],
        ["two loopback instances", ["127.0.0.1:40001", "127.0.0.1:40002"]],
        ["fqdn and IPv6", ["app.default.svc.cluster.local:1323", "[::1]:1323"]],
    ];
    for (const [name, upstreams] of upstreamCases) {
        it(`lists one server per upstream: ${name}`, () => {
            const up = block(renderNginxConfig({ ...cluster, upstreams }), "upstream api") ?? "";
            const servers = directives(up).filter((l) => l.startsWith("server "));
            assert.deepEqual(
                servers.map((l) => l.split(/\s+/)[1]),
                upstreams,
            );
        });
    }

    it("puts the runtime paths under another runtimeDir (trailing slash ignored)", () => {
        const c = renderNginxConfig({ ...cluster, runtimeDir: "/var/run/nginx-test/" });
        assert.match(c, /^pid \/var\/run\/nginx-test\/nginx\.pid;$/m);
        for (const t of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
            assert.match(c, new RegExp(`^\\s*${t}_temp_path\\s+/var/run/nginx-test/\\w+_temp;$`, "m"));
        }
    });

    it("renders the listen port", () => {
        assert.match(renderNginxConfig({ ...cluster, listenPort: 1 }), /^\s*listen 1;$/m);
        assert.match(renderNginxConfig({ ...cluster, listenPort: 65535 }), /^\s*listen 65535;$/m);
    });

    const invalid: Array<[string, Partial<NginxConfigParams>, string]> = [
        ["port 0", { listenPort: 0 }, "nginx config: listenPort must be an integer between 1 and 65535, got 0"],
        [
            "port 65536",
            { listenPort: 65536 },
            "nginx config: listenPort must be an integer between 1 and 65535, got 65536",
        ],
        [
            "port fraction",
            { listenPort: 80.5 },
            "nginx config: listenPort must be an integer between 1 and 65535, got 80.5",
        ],
        ["port NaN", { listenPort: NaN }, "nginx config: listenPort must be an integer between 1 and 65535, got NaN"],
        ["no upstreams", { upstreams: [] }, "nginx config: upstreams must list at least one host:port"],
        [
            "upstream without port",
            { upstreams: ["app"] },
            'nginx config: upstreams[0] must be host:port (e.g. "app:1323"), got "app"',
        ],
        [
            "empty upstream",
            { upstreams: ["app:1323", ""] },
            'nginx config: upstreams[1] must be host:port (e.g. "app:1323"), got ""',
        ],
        [
            "upstream with scheme",
            { upstreams: ["http://app:1323"] },
            'nginx config: upstreams[0] must be host:port (e.g. "app:1323"), got "http://app:1323"',
        ],
        [
            "upstream injection",
            { upstreams: ["app:1323; include /etc/passwd"] },
            'nginx config: upstreams[0] must be host:port (e.g. "app:1323"), got "app:1323; include /etc/passwd"',
        ],
        [
            "upstream port 0",
            { upstreams: ["app:0"] },
            'nginx config: upstreams[0] port must be between 1 and 65535, got "app:0"',
        ],
        [
            "upstream port too big",
            { upstreams: ["app:70000"] },
            'nginx config: upstreams[0] port must be between 1 and 65535, got "app:70000"',
        ],
        [
            "duplicate upstream",
            { upstreams: ["app:1323", "app:1323"] },
            'nginx config: upstreams[1] "app:1323" is listed twice',
        ],
        [
            "relative runtimeDir",
            { runtimeDir: "tmp" },
            "nginx config: runtimeDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"tmp\"",
        ],
        [
            "runtimeDir with space",
            { runtimeDir: "/tmp/a b" },
            "nginx config: runtimeDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"/tmp/a b\"",
        ],
        [
            "runtimeDir with ;",
            { runtimeDir: "/tmp;" },
            "nginx config: runtimeDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"/tmp;\"",
        ],
        [
            "runtimeDir with ..",
            { runtimeDir: "/tmp/../etc" },
            "nginx config: runtimeDir must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"/tmp/../etc\"",
        ],
    ];
    for (const [name, override, message] of invalid) {
        it(`rejects ${name}`, () => {
            assert.throws(() => renderNginxConfig({ ...cluster, ...override }), { message });
        });
    }
});
