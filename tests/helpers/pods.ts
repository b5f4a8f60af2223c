// What a recorded pod would see at run time: its environment, the files its mounts show, the traffic its
// NetworkPolicy lets through. Component tests judge those rather than the literals a component writes.
import * as assert from "node:assert/strict";
import { byKubeName, K8S, RecordedResource, secretValue } from "./mocks";

/** Whether an ingress (or egress) spec lets a pod with `peer` labels reach (be reached by) the selected pods. */
export function admits(
    spec: any,
    direction: "ingress" | "egress",
    peer: Record<string, string>,
    port: number,
): boolean {
    const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => peer[k] === v);
    return (spec[direction] ?? []).some((rule: any) => {
        const peers = direction === "ingress" ? rule.from : rule.to;
        const fromOk = peers === undefined || peers.some((p: any) => matches(p.podSelector?.matchLabels ?? {}));
        const portOk = rule.ports === undefined || rule.ports.some((p: any) => p.port === port);
        return fromOk && portOk;
    });
}

/** Whether `selector` (matchLabels) picks a pod with these labels. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The value environment variable `name` of `container` has, read from its ConfigMap or Secret; undefined when unset. */
export function envValue(resources: readonly RecordedResource[], container: any, name: string): string | undefined {
    const found = (container.env ?? []).filter((e: any) => e.name === name);
    assert.ok(found.length <= 1, `${container.name}: ${name} set ${found.length} times`);
    const env = found[0];
    if (env === undefined) return undefined;
    if (env.value !== undefined) return env.value;
    const { configMapKeyRef: cm, secretKeyRef: secret } = env.valueFrom ?? {};
    if (cm) return byKubeName(resources, K8S.configMap, cm.name).inputs.data?.[cm.key];
    if (secret) {
        const data = byKubeName(resources, K8S.secret, secret.name).inputs.stringData;
        return (secretValue(data) ?? data)?.[secret.key];
    }
    assert.fail(`${container.name}: ${name} has no source we know`);
}

/** Where a path inside `container` comes from: the mount and the pod volume behind it, and the path within it. */
export function mountOf(pod: any, container: any, path: string): { mount: any; volume: any; rest: string } {
    const mounts = (container.volumeMounts ?? []).filter(
        (m: any) => path === m.mountPath || path.startsWith(m.mountPath.replace(/\/$/, "") + "/"),
    );
    assert.ok(mounts.length > 0, `${container.name}: nothing is mounted at ${path}`);
    const mount = mounts.sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
    assert.ok(volume, `${container.name}: mount ${mount.name} names no volume of the pod`);
    return { mount, volume, rest: path.slice(mount.mountPath.length).replace(/^\//, "") };
}

/** The text of the file at `path` in `container`, which must come from a ConfigMap. */
export function configFile(resources: readonly RecordedResource[], pod: any, container: any, path: string): string {
    const { volume, rest } = mountOf(pod, container, path);
    assert.ok(volume.configMap, `${path} is not from a ConfigMap`);
    const text = byKubeName(resources, K8S.configMap, volume.configMap.name).inputs.data?.[rest];
    assert.equal(typeof text, "string", `ConfigMap ${volume.configMap.name} has no key ${rest}`);
    return text;
}

/** The port number a probe or Service names, resolved through the container's named ports. */
export function portNumber(container: any, port: string | number): number {
    if (typeof port === "number") return port;
    const named = (container.ports ?? []).find((p: any) => p.name === port);
    assert.ok(named, `${container.name} has no port ${port}`);
    return named.containerPort;
}

/** A duration of nginx's or Redis' config (`10s`, `2`, `500ms`) in seconds. */
export function seconds(value: string): number {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
    assert.ok(m, `not a duration: ${value}`);
    return Number(m[1]) * ({ ms: 1e-3, s: 1, m: 60 }[m[2] ?? "s"] as number);
}

/** A Kubernetes quantity in base units (bytes, cores). */
export function quantity(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
    assert.ok(m, `not a quantity: ${q}`);
    const scale: Record<string, number> = {
        m: 1e-3,
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
    };
    return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}
