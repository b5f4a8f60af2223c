// Rules on every container of a workload's pod template: health checks and resources, pinned images,
// non-root users without privilege escalation. Each takes a resource's type and props and returns the
// violation messages; any other resource type gives none.
import { read, UNKNOWN, whenKnown } from "./known";
import { Container, eachContainer, podSpecOf, SecurityContext, workloadId, WorkloadProps } from "./kubernetes";

/** What every (non-init) container must set: init containers take no probes. */
const REQUIRED_FIELDS: readonly { readonly path: string; readonly get: (c: Container) => unknown }[] = [
    { path: "readinessProbe", get: (c) => c.readinessProbe },
    { path: "livenessProbe", get: (c) => c.livenessProbe },
    { path: "resources.requests.cpu", get: (c) => c.resources?.requests?.cpu },
    { path: "resources.requests.memory", get: (c) => c.resources?.requests?.memory },
    { path: "resources.limits.memory", get: (c) => c.resources?.limits?.memory },
];

/** Readiness and liveness probes, cpu and memory requests and a memory limit on every container. */
export function probesAndResourcesViolations(type: string, props: WorkloadProps): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    return eachContainer(pod, false, (container, label) =>
        REQUIRED_FIELDS.flatMap(({ path, get }) =>
            whenKnown(() => (get(container) === undefined ? [`${label} has no ${path}`] : [])),
        ),
    );
}

const DIGEST = /@sha256:[a-f0-9]{64}$/;

/** Why an image reference is not pinned, or undefined when it is (a version tag or a sha256 digest). */
export function imagePinProblem(image: string): string | undefined {
    if (DIGEST.test(image)) return undefined;
    const withoutDigest = image.split("@")[0];
    const name = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
    const colon = name.indexOf(":");
    if (colon < 0) return "has no tag";
    if (name.slice(colon + 1) === "latest") return 'uses the mutable "latest" tag';
    return undefined;
}

/** Every container's image, init containers included, pinned to a version tag or a digest. */
export function pinnedImageViolations(type: string, props: WorkloadProps): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    return eachContainer(pod, true, (container, label) =>
        whenKnown(() => {
            const image = container.image;
            const problem = image === undefined ? undefined : imagePinProblem(image);
            return problem === undefined ? [] : [`${label} image "${image}" ${problem}: pin a version tag or a digest`];
        }),
    );
}

/** Why a container may run as root given its own and its pod's securityContext, or undefined when it cannot. */
export function rootProblem(
    pod: SecurityContext | undefined,
    container: SecurityContext | undefined,
): string | undefined {
    const user = container?.runAsUser ?? pod?.runAsUser;
    if (user === 0) return "runs as root (runAsUser: 0)";
    if (user !== undefined || (container?.runAsNonRoot ?? pod?.runAsNonRoot) === true) return undefined;
    return "may run as root: set runAsNonRoot: true or a non-zero runAsUser in the pod or container securityContext";
}

/**
 * Every container, init containers included, sets allowPrivilegeEscalation: false and cannot run as
 * root. Workloads listed in `allowRoot` (as `Kind/name`, e.g. `Deployment/frontend`) may run as root;
 * privilege escalation stays forbidden for them.
 */
export function nonRootViolations(type: string, props: WorkloadProps, allowRoot: readonly string[]): string[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) return [];
    const name = read(() => props.metadata?.name);
    // An unknown name cannot be matched against the allowlist: the root check waits for `pulumi up`.
    const rootAllowed = name === UNKNOWN || allowRoot.includes(workloadId(type, name));
    return eachContainer(pod, true, (container, label) => [
        ...whenKnown(() =>
            container.securityContext?.allowPrivilegeEscalation === false
                ? []
                : [`${label} must set securityContext.allowPrivilegeEscalation: false`],
        ),
        ...(rootAllowed
            ? []
            : whenKnown(() => {
                  const problem = rootProblem(pod.securityContext, container.securityContext);
                  return problem === undefined ? [] : [`${label} ${problem}`];
              })),
    ]);
}
