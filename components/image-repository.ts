import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Defaults of ImageRepositoryArgs. */
export const IMAGE_REPOSITORY_DEFAULTS = {
    repositoryId: "three-tier-app",
    /** Versions of each image kept whatever their age: enough to roll back a few deploys. */
    keepVersions: 10,
    /** Older versions beyond those are deleted after this long (Artifact Registry's duration format). */
    deleteAfter: "2592000s",
} as const;

export interface ImageRepositoryArgs {
    /** The GCP project. */
    readonly project: string;
    /** The repository's region (the cluster's, so nodes pull without crossing regions). */
    readonly region: string;
    /** Default: IMAGE_REPOSITORY_DEFAULTS.repositoryId. */
    readonly repositoryId?: string;
    /** IAM members (`serviceAccount:…`) that may pull: the nodes. */
    readonly readers: readonly pulumi.Input<string>[];
    /**
     * IAM members that may push (and pull), such as the identity review stacks deploy their own images as.
     * Nobody but readers and writers is granted anything here. Default: none.
     */
    readonly writers?: readonly pulumi.Input<string>[];
    /** GCP labels. Default: none. */
    readonly labels?: Record<string, string>;
}

/**
 * A Docker repository in Artifact Registry for the app's images, readable by the nodes and writable by
 * review stacks only (on this repository, not project-wide), pruned by a cleanup policy that keeps the
 * recent versions.
 */
export class ImageRepository extends pulumi.ComponentResource {
    /** Where images are pushed and pulled: `<region>-docker.pkg.dev/<project>/<repository>`. */
    public readonly registry: pulumi.Output<string>;

    constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:ImageRepository", name, {}, opts);
        const childOpts = { parent: this };
        const repository = new gcp.artifactregistry.Repository(
            `${name}-repository`,
            {
                project: args.project,
                location: args.region,
                repositoryId: args.repositoryId ?? IMAGE_REPOSITORY_DEFAULTS.repositoryId,
                format: "DOCKER",
                description: "Images of the three-tier app, built from source by the Pulumi program",
                labels: args.labels ?? {},
                cleanupPolicyDryRun: false,
                cleanupPolicies: [
                    {
                        id: "delete-old",
                        action: "DELETE",
                        condition: { tagState: "ANY", olderThan: IMAGE_REPOSITORY_DEFAULTS.deleteAfter },
                    },
                    // KEEP wins over DELETE: the most recent versions stay however old they are.
                    {
                        id: "keep-recent",
                        action: "KEEP",
                        mostRecentVersions: { keepCount: IMAGE_REPOSITORY_DEFAULTS.keepVersions },
                    },
                ],
            },
            childOpts,
        );
        // Granted on this repository alone, not project-wide.
        const grants = [
            { kind: "reader", role: "roles/artifactregistry.reader", members: args.readers },
            { kind: "writer", role: "roles/artifactregistry.writer", members: args.writers ?? [] },
        ];
        for (const { kind, role, members } of grants) {
            members.forEach(
                (member, i) =>
                    new gcp.artifactregistry.RepositoryIamMember(
                        `${name}-${kind}-${i}`,
                        {
                            project: args.project,
                            location: repository.location,
                            repository: repository.repositoryId,
                            role,
                            member,
                        },
                        childOpts,
                    ),
            );
        }
        this.registry = pulumi.interpolate`${repository.location}-docker.pkg.dev/${repository.project}/${repository.repositoryId}`;
        this.registerOutputs({ registry: this.registry });
    }
}
