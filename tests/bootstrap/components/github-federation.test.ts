import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    attributeCondition,
    GithubFederation,
    githubSettings,
    principalSet,
} from "../../../bootstrap/components/github-federation";
import { byName, MOCK_PROJECT_NUMBER, ofType, runUnderMocks, unwrap } from "../../helpers/mocks";
import { REPO_ROOT } from "../../../project";
import { IAM_TYPES } from "../helpers";

const TYPES = {
    pool: "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
    provider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
} as const;
const ARGS = {
    project: "my-project",
    repository: "my-org/three-tier-app",
    repositoryId: 987654321,
    serviceAccounts: { preview: "sa/preview", review: "sa/review", deploy: "sa/deploy" },
};
const POOLS = `projects/${MOCK_PROJECT_NUMBER}/locations/global/workloadIdentityPools`;
const MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.repository_id": "assertion.repository_id",
    "attribute.environment": "assertion.environment",
    "attribute.ref": "assertion.ref",
};
const REPOSITORY_CONDITION =
    "assertion.repository_id == '987654321' && assertion.repository == 'my-org/three-tier-app'";

describe("GithubFederation", () => {
    it("has two pools: one for previews and review jobs, one for deploys only", async () => {
        const { resources } = await runUnderMocks(() => new GithubFederation("github", ARGS));
        assert.deepEqual(
            ofType(resources, TYPES.pool).map((p) => [p.name, p.inputs.workloadIdentityPoolId, p.inputs.project]),
            [
                ["github-github", "github", "my-project"],
                ["github-github-deploy", "github-deploy", "my-project"],
            ],
        );
    });

    it("trusts GitHub's OIDC tokens of this repository, by id and name, in the previews' pool", async () => {
        const { resources } = await runUnderMocks(() => new GithubFederation("github", ARGS));
        assert.deepEqual(byName(resources, TYPES.provider, "github-github-repo").inputs, {
            project: "my-project",
            workloadIdentityPoolId: "github",
            workloadIdentityPoolProviderId: "repo",
            displayName: "GitHub repo",
            oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
            attributeMapping: MAPPING,
            attributeCondition: REPOSITORY_CONDITION,
        });
    });

    it("in the deploy pool, only tokens of main in the production environment", async () => {
        const { resources } = await runUnderMocks(() => new GithubFederation("github", ARGS));
        const provider = byName(resources, TYPES.provider, "github-github-deploy-main").inputs;
        assert.equal(provider.workloadIdentityPoolId, "github-deploy");
        assert.equal(provider.workloadIdentityPoolProviderId, "main");
        assert.deepEqual(provider.oidc, { issuerUri: "https://token.actions.githubusercontent.com" });
        assert.deepEqual(provider.attributeMapping, MAPPING);
        assert.equal(
            provider.attributeCondition,
            `${REPOSITORY_CONDITION} && assertion.ref == 'refs/heads/main' && assertion.environment == 'production'`,
        );
    });

    it("lets each pool's tokens act as one account: preview by repository, review by environment, deploy from its pool", async () => {
        const { resources } = await runUnderMocks(() => new GithubFederation("github", ARGS));
        const users = ofType(resources, IAM_TYPES.serviceAccount).map((m) => m.inputs);
        assert.deepEqual(users, [
            {
                serviceAccountId: "sa/preview",
                role: "roles/iam.workloadIdentityUser",
                member: `principalSet://iam.googleapis.com/${POOLS}/github/attribute.repository/my-org/three-tier-app`,
            },
            {
                serviceAccountId: "sa/review",
                role: "roles/iam.workloadIdentityUser",
                member: `principalSet://iam.googleapis.com/${POOLS}/github/attribute.environment/review`,
            },
            {
                serviceAccountId: "sa/deploy",
                role: "roles/iam.workloadIdentityUser",
                member: `principalSet://iam.googleapis.com/${POOLS}/github-deploy/attribute.repository/my-org/three-tier-app`,
            },
        ]);
    });

    it("gives each provider's full resource name, as google-github-actions/auth takes it", async () => {
        const { result } = await runUnderMocks(() => new GithubFederation("github", ARGS));
        assert.equal(await unwrap(result.providers.github), `${POOLS}/github/providers/repo`);
        assert.equal(await unwrap(result.providers["github-deploy"]), `${POOLS}/github-deploy/providers/main`);
    });

    it("builds the conditions and principal sets from the repository", () => {
        assert.equal(
            attributeCondition("o/r", 7, "github"),
            "assertion.repository_id == '7' && assertion.repository == 'o/r'",
        );
        assert.equal(
            attributeCondition("o/r", 7, "github-deploy"),
            "assertion.repository_id == '7' && assertion.repository == 'o/r' && " +
                "assertion.ref == 'refs/heads/main' && assertion.environment == 'production'",
        );
        assert.equal(
            principalSet("projects/1/locations/global/workloadIdentityPools/p", "environment", "review"),
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/attribute.environment/review",
        );
    });

    it("puts each value where the workflows read it", () =>
        assert.deepEqual(
            githubSettings({
                stateBucketUrl: "gs://b",
                secretsProviders: { gke: "gcpkms://g", review: "gcpkms://r" },
                providers: { github: "pool/repo", "github-deploy": "deploy-pool/main" },
                serviceAccounts: { preview: "p@x", review: "r@x", deploy: "d@x" },
            }),
            {
                repositorySecrets: { PULUMI_BACKEND_URL: "gs://b" },
                repositoryVariables: {
                    GCP_WORKLOAD_IDENTITY_PROVIDER: "pool/repo",
                    GCP_PREVIEW_SERVICE_ACCOUNT: "p@x",
                    GKE_SECRETS_PROVIDER: "gcpkms://g",
                    REVIEW_SECRETS_PROVIDER: "gcpkms://r",
                },
                environments: {
                    production: { GCP_WORKLOAD_IDENTITY_PROVIDER: "deploy-pool/main", GCP_SERVICE_ACCOUNT: "d@x" },
                    review: { GCP_REVIEW_SERVICE_ACCOUNT: "r@x" },
                },
            },
        ));

    it("names only secrets and variables the workflows read, each as what it is there", () => {
        const workflows = path.join(REPO_ROOT, ".github", "workflows");
        const text = fs
            .readdirSync(workflows)
            .map((f) => fs.readFileSync(path.join(workflows, f), "utf8"))
            .join("\n");
        const settings = githubSettings({
            stateBucketUrl: "",
            secretsProviders: { gke: "", review: "" },
            providers: { github: "", "github-deploy": "" },
            serviceAccounts: { preview: "", review: "", deploy: "" },
        });
        const variables = [
            ...Object.keys(settings.repositoryVariables),
            ...Object.values(settings.environments).flatMap((e) => Object.keys(e)),
        ];
        for (const name of Object.keys(settings.repositorySecrets)) assert.ok(text.includes(`secrets.${name}`), name);
        for (const name of variables) assert.ok(text.includes(`vars.${name}`), name);
    });
});
