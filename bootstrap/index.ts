// The one-time GCP setup of three-tier-app's CI, run by a project owner: the APIs, the state bucket, the
// keys of the stacks' secrets, the service accounts with their roles, and GitHub's federation. Its outputs
// are what the app's stacks and the repository's settings take (docs/ci.md).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { loadBootstrapConfig } from "./config";
import { CiIdentities } from "./components/ci-identities";
import { githubSettings as settingsOf, GithubFederation } from "./components/github-federation";
import { ProjectApis } from "./components/project-apis";
import { SecretsKeys } from "./components/secrets-keys";
import { StateBucket } from "./components/state-bucket";

const config = loadBootstrapConfig();
const labels = { "part-of": "three-tier-app", "managed-by": "three-tier-bootstrap" };

const apis = new ProjectApis("apis", { project: config.project });
const state = new StateBucket("state", {
    project: apis.project,
    name: config.stateBucket,
    location: config.region,
    labels,
});
// The number names GKE's service agent; reading it needs no API this program turns on.
const projectNumber = gcp.organizations.getProjectOutput({ projectId: config.project }).number;
const keys = new SecretsKeys("secrets", { project: apis.project, location: config.region, projectNumber, labels });
const identities = new CiIdentities("ci", { project: apis.project, stateBucket: state.name, keyIds: keys.keyIds });
const federation = new GithubFederation("github", {
    project: apis.project,
    repository: config.github.name,
    repositoryId: config.github.id,
    serviceAccounts: {
        preview: identities.names.preview,
        review: identities.names.review,
        deploy: identities.names.deploy,
    },
});

export const stateBucketUrl = state.url;
export const gkeSecretsProvider = keys.secretsProviders["gke-stack"];
export const reviewSecretsProvider = keys.secretsProviders["review-stacks"];
export const gkeDatabaseEncryptionKey = keys.keyIds["gke-stack"];
export const nodeServiceAccount = identities.emails.nodes;
export const deployServiceAccount = identities.emails.deploy;
export const previewServiceAccount = identities.emails.preview;
export const reviewServiceAccount = identities.emails.review;
export const workloadIdentityProvider = federation.providers.github;
export const deployWorkloadIdentityProvider = federation.providers["github-deploy"];
export const githubSettings = pulumi
    .output({
        stateBucketUrl,
        secretsProviders: { gke: gkeSecretsProvider, review: reviewSecretsProvider },
        providers: federation.providers,
        serviceAccounts: identities.emails,
    })
    .apply(settingsOf);
