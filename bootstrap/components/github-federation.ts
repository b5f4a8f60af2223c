import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { byKey, keysOf } from "./by-key";

/** Who signs GitHub Actions' OIDC tokens. */
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/** Token claims kept as attributes: the subject, and what conditions and principal sets test. */
export const ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.repository_id": "assertion.repository_id",
    "attribute.environment": "assertion.environment",
    "attribute.ref": "assertion.ref",
} as const;

interface PoolSpec {
    /** The id of the pool's one OIDC provider. */
    readonly provider: string;
    readonly description: string;
    /** The only ref and environment whose tokens the pool takes. Default: any. */
    readonly only?: { readonly ref: string; readonly environment: string };
}

/**
 * Two pools, so that no token of a pull request or a review job can ever reach the deployer: `github`
 * takes any run of the repository, `github-deploy` only runs on main in the production environment.
 */
export const POOLS = {
    github: { provider: "repo", description: "Previews, drift checks and review jobs of the repository" },
    "github-deploy": {
        provider: "main",
        description: "Deploys of the repository: main, environment production",
        only: { ref: "refs/heads/main", environment: "production" },
    },
} as const satisfies Record<string, PoolSpec>;
export type PoolId = keyof typeof POOLS;

/**
 * Which tokens may act as which service account: those of a pool whose attribute has a value. Without an
 * environment, the attribute is the repository.
 */
export const WORKLOAD_IDENTITY_USERS = {
    preview: { pool: "github" },
    review: { pool: "github", environment: "review" },
    deploy: { pool: "github-deploy" },
} as const satisfies Record<string, { pool: PoolId; environment?: string }>;
export type FederatedIdentity = keyof typeof WORKLOAD_IDENTITY_USERS;

/**
 * The CEL condition every token of a pool must meet. The repository's id comes first: a repository deleted
 * and created again under the same name gets a new id, so its runs are not let in.
 */
export function attributeCondition(repository: string, repositoryId: number, pool: PoolId): string {
    const { only }: PoolSpec = POOLS[pool];
    return [
        `assertion.repository_id == '${repositoryId}'`,
        `assertion.repository == '${repository}'`,
        ...(only === undefined
            ? []
            : [`assertion.ref == '${only.ref}'`, `assertion.environment == '${only.environment}'`]),
    ].join(" && ");
}

/** The IAM member for every token of a pool (`projects/<number>/locations/global/workloadIdentityPools/<id>`) with an attribute's value. */
export function principalSet(poolName: string, attribute: string, value: string): string {
    return `principalSet://iam.googleapis.com/${poolName}/attribute.${attribute}/${value}`;
}

/** What the workflows read, by GitHub setting: repository secrets and variables, and each environment's variables. */
export interface GithubSettings {
    readonly repositorySecrets: { readonly PULUMI_BACKEND_URL: string };
    readonly repositoryVariables: {
        readonly GCP_WORKLOAD_IDENTITY_PROVIDER: string;
        readonly GCP_PREVIEW_SERVICE_ACCOUNT: string;
        readonly GKE_SECRETS_PROVIDER: string;
        readonly REVIEW_SECRETS_PROVIDER: string;
    };
    readonly environments: {
        readonly production: { readonly GCP_WORKLOAD_IDENTITY_PROVIDER: string; readonly GCP_SERVICE_ACCOUNT: string };
        readonly review: { readonly GCP_REVIEW_SERVICE_ACCOUNT: string };
    };
}

/** The GitHub settings the workflows need, from the bootstrap's values. */
export function githubSettings(values: {
    readonly stateBucketUrl: string;
    /** The stacks' secrets providers, gcpkms:// URLs: gke's, and the review stacks'. */
    readonly secretsProviders: { readonly gke: string; readonly review: string };
    readonly providers: Readonly<Record<PoolId, string>>;
    readonly serviceAccounts: Readonly<Record<FederatedIdentity, string>>;
}): GithubSettings {
    return {
        repositorySecrets: { PULUMI_BACKEND_URL: values.stateBucketUrl },
        repositoryVariables: {
            GCP_WORKLOAD_IDENTITY_PROVIDER: values.providers.github,
            GCP_PREVIEW_SERVICE_ACCOUNT: values.serviceAccounts.preview,
            GKE_SECRETS_PROVIDER: values.secretsProviders.gke,
            REVIEW_SECRETS_PROVIDER: values.secretsProviders.review,
        },
        environments: {
            // Overrides the repository's provider: deploy jobs take their token to the deploy-only pool.
            production: {
                GCP_WORKLOAD_IDENTITY_PROVIDER: values.providers["github-deploy"],
                GCP_SERVICE_ACCOUNT: values.serviceAccounts.deploy,
            },
            review: { GCP_REVIEW_SERVICE_ACCOUNT: values.serviceAccounts.review },
        },
    };
}

export interface GithubFederationArgs {
    /** The GCP project. */
    readonly project: pulumi.Input<string>;
    /** The GitHub repository, owner/name. */
    readonly repository: string;
    /** GitHub's numeric id of the repository. */
    readonly repositoryId: number;
    /** Resource names (`projects/…/serviceAccounts/…`) of the accounts GitHub's jobs act as. */
    readonly serviceAccounts: Readonly<Record<FederatedIdentity, pulumi.Input<string>>>;
}

/**
 * Workload Identity Federation for GitHub Actions: the pools and their OIDC providers, and which of their
 * tokens may act as which service account. No key of any account exists.
 */
export class GithubFederation extends pulumi.ComponentResource {
    /** Each pool's provider, `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<id>`. */
    public readonly providers: Record<PoolId, pulumi.Output<string>>;

    constructor(name: string, args: GithubFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-bootstrap:index:GithubFederation", name, {}, opts);
        const childOpts = { parent: this };
        const poolIds = keysOf(POOLS);
        const pools = byKey(
            poolIds,
            (pool) =>
                new gcp.iam.WorkloadIdentityPool(
                    `${name}-${pool}`,
                    {
                        project: args.project,
                        workloadIdentityPoolId: pool,
                        displayName: pool,
                        description: POOLS[pool].description,
                    },
                    childOpts,
                ),
        );
        this.providers = byKey(
            poolIds,
            (pool) =>
                new gcp.iam.WorkloadIdentityPoolProvider(
                    `${name}-${pool}-${POOLS[pool].provider}`,
                    {
                        project: args.project,
                        workloadIdentityPoolId: pools[pool].workloadIdentityPoolId,
                        workloadIdentityPoolProviderId: POOLS[pool].provider,
                        displayName: `GitHub ${POOLS[pool].provider}`,
                        oidc: { issuerUri: GITHUB_OIDC_ISSUER },
                        attributeMapping: { ...ATTRIBUTE_MAPPING },
                        attributeCondition: attributeCondition(args.repository, args.repositoryId, pool),
                    },
                    childOpts,
                ).name,
        );
        for (const identity of keysOf(WORKLOAD_IDENTITY_USERS)) {
            const user: { pool: PoolId; environment?: string } = WORKLOAD_IDENTITY_USERS[identity];
            const [attribute, value] =
                user.environment === undefined ? ["repository", args.repository] : ["environment", user.environment];
            new gcp.serviceaccount.IAMMember(
                `${name}-${identity}-workload-identity-user`,
                {
                    serviceAccountId: args.serviceAccounts[identity],
                    role: "roles/iam.workloadIdentityUser",
                    member: pools[user.pool].name.apply((pool) => principalSet(pool, attribute, value)),
                },
                childOpts,
            );
        }
        this.registerOutputs({ providers: this.providers });
    }
}
