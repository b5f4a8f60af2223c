// On GKE the images that run are the images the program built: pinned by digest and pulled from the
// stack's own Artifact Registry repository, never from a public registry or by a mutable tag. Applies to
// a stack with a GKE cluster (the repository is its own) and to one deployed into another stack's cluster
// (target stack: review stacks push to the cluster stack's repository, which they read through their
// StackReference, so any Artifact Registry repository is theirs). A stack rule: which repository is the
// stack's comes from another resource.
import { CLUSTER_TYPE } from "./gke";
import { read, UNKNOWN, whenKnown } from "./known";
import { eachContainer, podSpecOf, workloadId, WorkloadProps } from "./kubernetes";
import { isGuestStack } from "./shared-cluster";

const REPOSITORY_TYPE = "gcp:artifactregistry/repository:Repository";
/** `<location>-docker.pkg.dev/<project>/<repository>/<image>@sha256:<digest>`. */
const ARTIFACT_REGISTRY_IMAGE = /^[a-z0-9-]+-docker\.pkg\.dev\/[a-z0-9-]+\/[a-z0-9-]+\/[^@]+@sha256:[a-f0-9]{64}$/;

interface RegistryStackResource {
    readonly type: string;
    readonly props: object;
}

interface RepositoryProps {
    readonly project?: string;
    readonly location?: string;
    readonly repositoryId?: string;
}

/** The prefix of the stack's own repository, undefined when it has none, UNKNOWN while preview cannot tell. */
function ownRepository(resources: readonly RegistryStackResource[]): string | undefined | typeof UNKNOWN {
    const repository = resources.find((r) => r.type === REPOSITORY_TYPE);
    if (repository === undefined) return undefined;
    return read(() => {
        const p = repository.props as RepositoryProps;
        return `${p.location}-docker.pkg.dev/${p.project}/${p.repositoryId}/`;
    });
}

export function registryImageViolations(resources: readonly RegistryStackResource[]): string[] {
    const onGke = resources.some((r) => r.type === CLUSTER_TYPE);
    const guest = isGuestStack(resources);
    if (!onGke && !guest) return [];
    const own = ownRepository(resources);
    if (own === UNKNOWN) return [];
    if (onGke && own === undefined) {
        return ["the stack has a GKE cluster but no Artifact Registry repository for the images it runs"];
    }
    const where = own === undefined ? "an Artifact Registry repository" : `the stack's repository ${own}`;
    return resources.flatMap((r) =>
        whenKnown(() => {
            const props = r.props as WorkloadProps;
            const pod = podSpecOf(r.type, props);
            if (pod === undefined) return [];
            const workload = workloadId(r.type, props.metadata?.name);
            return eachContainer(pod, true, (container, label) =>
                // An image still being built during preview is unknown: it is checked on `up`.
                whenKnown(() => {
                    const image = container.image;
                    if (image === undefined) return [];
                    const fromRegistry =
                        ARTIFACT_REGISTRY_IMAGE.test(image) && (own === undefined || image.startsWith(own));
                    return fromRegistry
                        ? []
                        : [
                              `${workload} ${label} image "${image}" is not pinned by digest in ${where}: ` +
                                  "deploy the image the program builds",
                          ];
                }),
            );
        }),
    );
}
