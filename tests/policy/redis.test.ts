import * as assert from "node:assert/strict";
import { Container, PodSpec, WorkloadProps } from "../../policy/rules/kubernetes";
import {
    ConfigMapProps,
    isRedisImage,
    mountedConfigMapFile,
    NO_REDIS_STATEFULSET,
    redisPersistenceViolations,
    redisSetting,
    StackResource,
} from "../../policy/rules/redis";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const NS = "three-tier";
const CONF = "port 6379\ndir /data\nappendonly yes\nappendfsync everysec\n";
const LABEL = 'StatefulSet "redis": container "redis"';

const REDIS: Container = {
    name: "redis",
    image: "redis:7.4.2-alpine",
    command: ["redis-server"],
    args: ["/etc/redis/redis.conf", "--requirepass", "$(REDIS_PASSWORD)"],
    volumeMounts: [
        { name: "data", mountPath: "/data" },
        { name: "config", mountPath: "/etc/redis" },
    ],
};
const VOLUMES: PodSpec["volumes"] = [
    { name: "data", persistentVolumeClaim: { claimName: "redis-data" } },
    { name: "config", configMap: { name: "web-redis-config-a1b2c3d4" } },
];

const statefulSet = (
    container: Container = REDIS,
    pod: Partial<PodSpec> = {},
    spec: WorkloadProps["spec"] = {},
): StackResource => ({
    type: STATEFULSET,
    props: {
        metadata: { name: "redis", namespace: NS },
        spec: { ...spec, template: { spec: { containers: [container], volumes: VOLUMES, ...pod } } },
    },
});
const configMap = (conf: string, name = "web-redis-config-a1b2c3d4", namespace = NS): StackResource => ({
    type: CONFIGMAP,
    props: { metadata: { name, namespace }, data: { "redis.conf": conf } },
});

describe("policy: redis-is-persistent", () => {
    describe("isRedisImage", () => {
        const cases: [string, boolean][] = [
            ["redis:7.4.2-alpine", true],
            ["redis", true],
            ["docker.io/library/redis@sha256:" + "0".repeat(64), true],
            ["bitnami/redis:7.4", true],
            ["redis/redis-stack:7.4", false],
            ["nginx:1.28", false],
        ];
        for (const [image, redis] of cases) it(image, () => assert.equal(isRedisImage(image), redis));
    });

    describe("redisSetting", () => {
        const cases: [string, string, string[], string | undefined][] = [
            ["set in the file", "appendonly yes", [], "yes"],
            ["the last line wins", "appendonly yes\nAPPENDONLY no", [], "no"],
            ["quotes are removed", 'appendonly "yes"', [], "yes"],
            ["comments do not count", "# appendonly yes", [], undefined],
            ["the command line overrides the file", "appendonly no", ["/etc/redis.conf", "--appendonly", "yes"], "yes"],
            ["a flag without a value is ignored", "appendonly no", ["--appendonly"], "no"],
            ["not set", "port 6379", [], undefined],
        ];
        for (const [name, conf, argv, value] of cases)
            it(name, () => assert.equal(redisSetting(conf, argv, "appendonly"), value));
    });

    describe("mountedConfigMapFile", () => {
        const maps: ConfigMapProps[] = [
            { metadata: { name: "conf", namespace: NS }, data: { "redis.conf": "A", "other.conf": "B" } },
            { metadata: { name: "conf", namespace: "elsewhere" }, data: { "redis.conf": "X" } },
        ];
        const pod = (configMap: NonNullable<NonNullable<PodSpec["volumes"]>[number]["configMap"]>): PodSpec => ({
            volumes: [{ name: "config", configMap }],
        });
        const mounted = (mountPath: string, subPath?: string): Container => ({
            volumeMounts: [{ name: "config", mountPath, subPath }],
        });
        const cases: [string, PodSpec, Container, string | undefined][] = [
            ["a key under the mount", pod({ name: "conf" }), mounted("/etc/redis"), "A"],
            ["a mount path with a trailing slash", pod({ name: "conf" }), mounted("/etc/redis/"), "A"],
            ["a subPath mount", pod({ name: "conf" }), mounted("/etc/redis/redis.conf", "other.conf"), "B"],
            [
                "items map a key to a path",
                pod({ name: "conf", items: [{ key: "other.conf", path: "redis.conf" }] }),
                mounted("/etc/redis"),
                "B",
            ],
            [
                "items leave out unlisted keys",
                pod({ name: "conf", items: [{ key: "other.conf", path: "x.conf" }] }),
                mounted("/etc/redis"),
                undefined,
            ],
            ["a ConfigMap not in the stack", pod({ name: "missing" }), mounted("/etc/redis"), undefined],
            ["mounted elsewhere", pod({ name: "conf" }), mounted("/etc/redis-other"), undefined],
        ];
        for (const [name, p, container, text] of cases) {
            it(name, () => assert.equal(mountedConfigMapFile(p, container, NS, maps, "/etc/redis/redis.conf"), text));
        }
    });

    const cases: [string, StackResource[], string[]][] = [
        ["the program's Redis: a claim volume and appendonly yes", [statefulSet(), configMap(CONF)], []],
        [
            "a volumeClaimTemplate",
            [
                statefulSet(
                    REDIS,
                    { volumes: [VOLUMES![1]] },
                    { volumeClaimTemplates: [{ metadata: { name: "data" } }] },
                ),
                configMap(CONF),
            ],
            [],
        ],
        [
            "appendonly on the command line, no config file",
            [statefulSet({ ...REDIS, command: undefined, args: ["redis-server", "--appendonly", "yes"] })],
            [],
        ],
        ["no Redis at all", [configMap(CONF)], [NO_REDIS_STATEFULSET]],
        [
            "Redis in a Deployment only",
            [{ ...statefulSet(), type: "kubernetes:apps/v1:Deployment" }, configMap(CONF)],
            [NO_REDIS_STATEFULSET],
        ],
        [
            "appendonly no",
            [statefulSet(), configMap("dir /data\nappendonly no\n")],
            [
                `${LABEL} runs without append-only persistence (appendonly is "no"): set "appendonly yes" in /etc/redis/redis.conf`,
            ],
        ],
        [
            "appendonly not set, no config file",
            [statefulSet({ ...REDIS, args: [] })],
            [
                `${LABEL} runs without append-only persistence (appendonly is not set, so it is off): set "appendonly yes" in its redis.conf`,
            ],
        ],
        [
            "the config file is not in the stack",
            [statefulSet(), configMap(CONF, "web-redis-config-a1b2c3d4", "default")],
            [
                `${LABEL} reads /etc/redis/redis.conf, which no ConfigMap of this stack provides: append-only persistence cannot be checked`,
            ],
        ],
        [
            "data on an emptyDir",
            [statefulSet(REDIS, { volumes: [{ name: "data" }, VOLUMES![1]] }), configMap(CONF)],
            [
                `${LABEL} keeps its data directory /data on volume "data", which is not a PersistentVolumeClaim: ` +
                    "use volumeClaimTemplates or a persistentVolumeClaim volume",
            ],
        ],
        [
            "nothing at the data directory named by dir",
            [statefulSet(), configMap("dir /var/lib/redis\nappendonly yes\n")],
            [`${LABEL} has no volume at its data directory /var/lib/redis: mount a PersistentVolumeClaim there`],
        ],
        [
            "preview: an unknown image gives no verdict",
            [previewProps<StackResource>(statefulSet({ ...REDIS, image: UNKNOWN_STRING }))],
            [],
        ],
        [
            "preview: an unknown ConfigMap name skips that StatefulSet",
            [
                statefulSet(REDIS, {
                    volumes: previewProps<PodSpec["volumes"] & object>([
                        VOLUMES![0],
                        { name: "config", configMap: { name: UNKNOWN_STRING } },
                    ]),
                }),
            ],
            [],
        ],
    ];
    for (const [name, resources, expected] of cases)
        it(name, () => assert.deepEqual(redisPersistenceViolations(resources), expected));
});
