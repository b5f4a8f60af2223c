import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** The APIs the bootstrap and the app's stacks call, each with who needs it. */
export const PROJECT_APIS = {
    "container.googleapis.com": "GKE clusters and node pools (gke); its service agent encrypts the cluster's Secrets",
    "compute.googleapis.com": "the cluster's network, router and NAT, the Redis disk (gke)",
    "iam.googleapis.com": "the service accounts, the custom role and the workload identity pools",
    "iamcredentials.googleapis.com": "GitHub jobs exchange their federated token for a service account's",
    "sts.googleapis.com": "GitHub jobs exchange their OIDC token for a federated one",
    "cloudresourcemanager.googleapis.com": "project IAM bindings and the project number",
    "storage.googleapis.com": "the state bucket",
    "artifactregistry.googleapis.com": "the images' repository (gke)",
    "cloudkms.googleapis.com": "the keys of the stacks' secrets and of GKE's Secrets encryption",
} as const;
export type ProjectApi = keyof typeof PROJECT_APIS;

export interface ProjectApisArgs {
    /** The GCP project. */
    readonly project: string;
}

/**
 * The project's APIs, turned on. `project` is the project id as an Output of all of them: a resource given
 * it as its project is created only once every API is on, so no first run fails halfway on a disabled API.
 */
export class ProjectApis extends pulumi.ComponentResource {
    /** The project id, known once every API is on. */
    public readonly project: pulumi.Output<string>;

    constructor(name: string, args: ProjectApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-bootstrap:index:ProjectApis", name, {}, opts);
        const services = (Object.keys(PROJECT_APIS) as ProjectApi[]).map(
            (api) =>
                new gcp.projects.Service(
                    `${name}-${api.split(".")[0]}`,
                    // Destroying the bootstrap must not switch off what running clusters and jobs use.
                    { project: args.project, service: api, disableOnDestroy: false },
                    { parent: this },
                ),
        );
        this.project = pulumi.all(services.map((s) => s.service)).apply(() => args.project);
        this.registerOutputs({ project: this.project });
    }
}
