// Which Services may be reached from outside the cluster.
import { whenKnown } from "./known";
import { ObjectMeta } from "./kubernetes";

export interface ServiceProps {
    readonly metadata?: ObjectMeta;
    readonly spec?: {
        readonly type?: string;
        readonly selector?: Readonly<Record<string, string>>;
        readonly externalIPs?: readonly string[];
    };
}

/** Service types that open a port outside the cluster. */
const EXTERNAL_TYPES: readonly string[] = ["LoadBalancer", "NodePort"];

/** How a Service is reachable from outside the cluster, or undefined when it is not. */
export function externalExposure(spec: ServiceProps["spec"]): string | undefined {
    const type = spec?.type ?? "ClusterIP";
    if (EXTERNAL_TYPES.includes(type)) return `type ${type}`;
    if ((spec?.externalIPs ?? []).length > 0) return "externalIPs";
    return undefined;
}

/**
 * Only the Services named in `exposable` may be LoadBalancer or NodePort (or have externalIPs), and no
 * Service selecting the Redis pods (`service: redis`) may be, whatever `exposable` says.
 */
export function serviceExposureViolations(props: ServiceProps, exposable: readonly string[]): string[] {
    return whenKnown(() => {
        const exposure = externalExposure(props.spec);
        if (exposure === undefined) return [];
        const name = props.metadata?.name ?? "<unnamed>";
        if (props.spec?.selector?.service === "redis") {
            return [
                `Service "${name}" selects service=redis and is reachable from outside the cluster (${exposure}): Redis must stay internal (ClusterIP)`,
            ];
        }
        if (exposable.includes(name)) return [];
        const allowed = exposable.length === 0 ? "no Service" : exposable.map((n) => `"${n}"`).join(", ");
        return [
            `Service "${name}" is reachable from outside the cluster (${exposure}), but only ${allowed} may be: use type ClusterIP`,
        ];
    });
}
