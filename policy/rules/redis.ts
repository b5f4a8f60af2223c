// Redis keeps its data: it runs as a StatefulSet whose data directory is a PersistentVolumeClaim, with
// append-only persistence switched on in the redis.conf it reads from a ConfigMap of the stack (or on
// its command line). A stack rule, since the StatefulSet and its ConfigMap are separate resources.
import { read, Unknown, UNKNOWN, whenKnown } from "./known";
import { Container, ObjectMeta, PodSpec, TYPES, WorkloadProps } from "./kubernetes";

/** A resource of the stack as validateStack sees it. */
export interface StackResource {
    readonly type: string;
    readonly props: object;
}

export interface ConfigMapProps {
    readonly metadata?: ObjectMeta;
    readonly data?: Readonly<Record<string, string>>;
}

/** Where the official image keeps data when redis.conf sets no absolute `dir`. */
const DEFAULT_DATA_DIR = "/data";

export const NO_REDIS_STATEFULSET =
    "no StatefulSet runs Redis (a container whose image is redis): run Redis as a StatefulSet on a PersistentVolumeClaim";

/** Whether an image reference names a `redis` repository (`redis:7.4`, `docker.io/library/redis@sha256:…`). */
export function isRedisImage(image: string): boolean {
    const withoutDigest = image.split("@")[0];
    const name = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
    return name.split(":")[0] === "redis";
}

/**
 * The value of a redis.conf directive: its last occurrence in `conf` (quotes removed), overridden by a
 * `--<directive> <value>` pair on the command line, as redis-server does.
 */
export function redisSetting(conf: string, argv: readonly string[], directive: string): string | undefined {
    let value: string | undefined;
    for (const line of conf.split("\n")) {
        const [key, ...rest] = line.trim().split(/\s+/);
        if (key.toLowerCase() === directive) value = rest.join(" ").replace(/^"(.*)"$/, "$1");
    }
    argv.forEach((arg, i) => {
        if (arg === `--${directive}` && i + 1 < argv.length) value = argv[i + 1];
    });
    return value;
}

const trimSlash = (path: string) => path.replace(/(.)\/+$/, "$1");

/** The text of file `path` as a container sees it through a ConfigMap volume of the stack, or undefined. */
export function mountedConfigMapFile(
    pod: PodSpec,
    container: Container,
    namespace: string | undefined,
    configMaps: readonly ConfigMapProps[],
    path: string,
): string | undefined {
    for (const mount of container.volumeMounts ?? []) {
        const mountPath = trimSlash(mount.mountPath ?? "");
        const fileInVolume =
            mount.subPath !== undefined && mountPath === path
                ? mount.subPath
                : path.startsWith(`${mountPath}/`)
                  ? path.slice(mountPath.length + 1)
                  : undefined;
        const source = (pod.volumes ?? []).find((v) => v.name === mount.name)?.configMap;
        if (fileInVolume === undefined || source === undefined) continue;
        // With `items`, only the listed keys appear, each at its own path.
        const key = source.items === undefined ? fileInVolume : source.items.find((i) => i.path === fileInVolume)?.key;
        const name = source.name;
        const configMap = configMaps.find((c) => c.metadata?.name === name && c.metadata?.namespace === namespace);
        const text = key === undefined ? undefined : configMap?.data?.[key];
        if (text !== undefined) return text;
    }
    return undefined;
}

function redisViolations(sts: WorkloadProps, container: Container, configMaps: readonly ConfigMapProps[]): string[] {
    const label = `StatefulSet "${sts.metadata?.name ?? "<unnamed>"}": container "${container.name ?? "<unnamed>"}"`;
    const pod = sts.spec?.template?.spec ?? {};
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const confPath = argv.find((a) => a.endsWith(".conf"));
    const conf =
        confPath === undefined
            ? ""
            : mountedConfigMapFile(pod, container, sts.metadata?.namespace, configMaps, confPath);

    const persistence = whenKnown(() => {
        if (conf === undefined) {
            return [
                `${label} reads ${confPath}, which no ConfigMap of this stack provides: append-only persistence cannot be checked`,
            ];
        }
        const appendonly = redisSetting(conf, argv, "appendonly");
        if (appendonly?.toLowerCase() === "yes") return [];
        const state = appendonly === undefined ? "is not set, so it is off" : `is "${appendonly}"`;
        return [
            `${label} runs without append-only persistence (appendonly ${state}): set "appendonly yes" in ${confPath ?? "its redis.conf"}`,
        ];
    });

    const storage = whenKnown(() => {
        const dir = redisSetting(conf ?? "", argv, "dir");
        const dataDir = dir?.startsWith("/") ? trimSlash(dir) : DEFAULT_DATA_DIR;
        const mount = (container.volumeMounts ?? []).find((m) => trimSlash(m.mountPath ?? "") === dataDir);
        if (mount === undefined)
            return [`${label} has no volume at its data directory ${dataDir}: mount a PersistentVolumeClaim there`];
        const fromTemplate = (sts.spec?.volumeClaimTemplates ?? []).some((t) => t.metadata?.name === mount.name);
        const fromClaim = (pod.volumes ?? []).find((v) => v.name === mount.name)?.persistentVolumeClaim !== undefined;
        if (fromTemplate || fromClaim) return [];
        return [
            `${label} keeps its data directory ${dataDir} on volume "${mount.name}", which is not a PersistentVolumeClaim: ` +
                "use volumeClaimTemplates or a persistentVolumeClaim volume",
        ];
    });
    return [...storage, ...persistence];
}

/** Redis runs in a StatefulSet, on a PersistentVolumeClaim, with `appendonly yes`. */
export function redisPersistenceViolations(resources: readonly StackResource[]): string[] {
    const configMaps = resources.filter((r) => r.type === TYPES.configMap).map((r) => r.props as ConfigMapProps);
    const redis = resources
        .filter((r) => r.type === TYPES.statefulSet)
        .map((r) => r.props as WorkloadProps)
        .map((sts): { sts: WorkloadProps; containers: Container[] | Unknown } => ({
            sts,
            containers: read(() =>
                (sts.spec?.template?.spec?.containers ?? []).filter((c) => isRedisImage(c.image ?? "")),
            ),
        }));
    // A StatefulSet whose images are unknown during preview may be the Redis one: no verdict until `up`.
    if (redis.every(({ containers }) => containers !== UNKNOWN && containers.length === 0))
        return [NO_REDIS_STATEFULSET];
    return redis.flatMap(({ sts, containers }) =>
        containers === UNKNOWN ? [] : containers.flatMap((c) => whenKnown(() => redisViolations(sts, c, configMaps))),
    );
}
