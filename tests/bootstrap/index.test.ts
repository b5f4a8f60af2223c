import * as assert from "node:assert/strict";
import {
    IDENTITIES,
    IDENTITY_ROLES,
    roleName,
    unconditionalIamAdminGrants,
    type Grant,
} from "../../bootstrap/components/ci-identities";
import { keysOf } from "../../bootstrap/components/by-key";
import { BootstrapConfigError } from "../../bootstrap/config";
import { MOCK_PROJECT_NUMBER, RecordedResource, runUnderMocks, unwrap } from "../helpers/mocks";
import type { OptionRecorder } from "../helpers/options";
import {
    accountName,
    describeBindings,
    email,
    KEY_IDS,
    bootstrapConfig,
    loadBootstrap,
    recordedBindings,
    runBootstrap,
} from "./helpers";

const BUCKET = "my-gcp-project-pulumi-state";
const POOLS = `projects/${MOCK_PROJECT_NUMBER}/locations/global/workloadIdentityPools`;
const SERVICE = "gcp:projects/service:Service";

/** What a grant of the table is held on in my-gcp-project, as the recorded binding names it. */
function targetOf(grant: Grant): string {
    switch (grant.scope) {
        case "project":
            return "my-gcp-project";
        case "bucket":
        case "bucketPrefix":
            return BUCKET;
        case "key":
            return KEY_IDS[grant.key];
        case "serviceAccount":
            return accountName(IDENTITIES[grant.serviceAccount].accountId);
    }
}

/**
 * Every resource a resource's inputs come from, directly or through others: what the engine creates
 * before it.
 */
function upstreamOf(resources: readonly RecordedResource[], options: OptionRecorder): Map<string, Set<string>> {
    const direct = new Map(
        resources.map((r) => [
            r.name,
            Object.values(options.inputs(r.type, r.name)).flatMap((input) => options.dependenciesOf(input)),
        ]),
    );
    const closure = (name: string, seen = new Set<string>()): Set<string> => {
        for (const dependency of direct.get(name) ?? []) {
            if (!seen.has(dependency)) closure(dependency, seen.add(dependency));
        }
        return seen;
    };
    return new Map(resources.map((r) => [r.name, closure(r.name)]));
}

describe("bootstrap program", () => {
    it("outputs what the app's stacks, the scripts and the repository's settings take", async () => {
        const { outputs } = await runBootstrap();
        const values = Object.fromEntries(
            await Promise.all(Object.entries(outputs ?? {}).map(async ([k, v]) => [k, await unwrap(v)])),
        );
        const deploy = email("three-tier-deploy");
        const preview = email("three-tier-preview");
        const review = email("three-tier-review");
        assert.deepEqual(values, {
            stateBucketUrl: `gs://${BUCKET}`,
            gkeSecretsProvider: `gcpkms://${KEY_IDS["gke-stack"]}`,
            reviewSecretsProvider: `gcpkms://${KEY_IDS["review-stacks"]}`,
            gkeDatabaseEncryptionKey: KEY_IDS["gke-stack"],
            nodeServiceAccount: email("three-tier-nodes"),
            deployServiceAccount: deploy,
            previewServiceAccount: preview,
            reviewServiceAccount: review,
            workloadIdentityProvider: `${POOLS}/github/providers/repo`,
            deployWorkloadIdentityProvider: `${POOLS}/github-deploy/providers/main`,
            githubSettings: {
                repositorySecrets: { PULUMI_BACKEND_URL: `gs://${BUCKET}` },
                repositoryVariables: {
                    GCP_WORKLOAD_IDENTITY_PROVIDER: `${POOLS}/github/providers/repo`,
                    GCP_PREVIEW_SERVICE_ACCOUNT: preview,
                    GKE_SECRETS_PROVIDER: `gcpkms://${KEY_IDS["gke-stack"]}`,
                    REVIEW_SECRETS_PROVIDER: `gcpkms://${KEY_IDS["review-stacks"]}`,
                },
                environments: {
                    production: {
                        GCP_WORKLOAD_IDENTITY_PROVIDER: `${POOLS}/github-deploy/providers/main`,
                        GCP_SERVICE_ACCOUNT: deploy,
                    },
                    review: { GCP_REVIEW_SERVICE_ACCOUNT: review },
                },
            },
        });
    });

    it("gives every identity exactly the roles of the table, wherever in the program they are bound", async () => {
        const { resources } = await runBootstrap();
        const bindings = recordedBindings(resources);
        for (const identity of keysOf(IDENTITIES)) {
            const member = `serviceAccount:${email(IDENTITIES[identity].accountId)}`;
            const expected = IDENTITY_ROLES[identity].map((grant: Grant) => ({
                scope: grant.scope,
                on: targetOf(grant),
                role: roleName(grant.role, "my-gcp-project"),
            }));
            assert.deepEqual(
                describeBindings(bindings.filter((b) => b.member === member)),
                describeBindings(expected),
                identity,
            );
        }
    });

    it("has no binding that lets anyone change IAM or act as any service account", async () => {
        const { resources } = await runBootstrap();
        const bindings = recordedBindings(resources);
        assert.equal(bindings.length, 24, "the table's 20, GKE's agent on its key, three workload identity users");
        assert.deepEqual(unconditionalIamAdminGrants(bindings), []);
    });

    it("who may use which key: the review identity only decrypts with gke's", async () => {
        const { resources } = await runBootstrap();
        const users = (key: keyof typeof KEY_IDS) =>
            recordedBindings(resources)
                .filter((b) => b.scope === "key" && b.on === KEY_IDS[key])
                .map((b) => `${b.member} ${b.role}`)
                .sort();
        assert.deepEqual(users("gke-stack"), [
            `serviceAccount:service-${MOCK_PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com roles/cloudkms.cryptoKeyEncrypterDecrypter`,
            `serviceAccount:${email("three-tier-deploy")} roles/cloudkms.cryptoKeyEncrypterDecrypter`,
            `serviceAccount:${email("three-tier-preview")} roles/cloudkms.cryptoKeyDecrypter`,
            `serviceAccount:${email("three-tier-review")} roles/cloudkms.cryptoKeyDecrypter`,
        ]);
        assert.deepEqual(users("review-stacks"), [
            `serviceAccount:${email("three-tier-review")} roles/cloudkms.cryptoKeyEncrypterDecrypter`,
        ]);
    });

    it("creates nothing before every API it calls is on", async () => {
        const { resources, options } = await runBootstrap();
        const apis = resources.filter((r) => r.type === SERVICE).map((r) => r.name);
        assert.equal(apis.length, 9);
        const upstream = upstreamOf(resources, options);
        for (const r of resources.filter((r) => r.type !== SERVICE)) {
            const missing = apis.filter((api) => !upstream.get(r.name)?.has(api));
            assert.deepEqual(missing, [], `${r.name} waits for every API`);
        }
    });

    it("protects the two keys and nothing else", async () => {
        const { options } = await runBootstrap();
        assert.deepEqual(options.protectedNames(), ["secrets-gke-stack", "secrets-review-stacks"]);
    });

    it("registers nothing when the config is wrong, and names every problem", async () => {
        const { resources, result } = await runUnderMocks(
            () => {
                try {
                    loadBootstrap();
                } catch (e) {
                    return e;
                }
                return undefined;
            },
            {
                config: bootstrapConfig({
                    "gcp:project": undefined,
                    "three-tier-bootstrap:githubRepository": "three-tier-app",
                }),
            },
        );
        assert.deepEqual(resources, []);
        assert.ok(result instanceof BootstrapConfigError);
        assert.equal(
            result.message,
            "invalid bootstrap configuration:\n" +
                "  - gcp:project is required: a Google Cloud project id such as my-gcp-project\n" +
                "  - three-tier-bootstrap:githubRepository must be the GitHub repository as owner/name, such as " +
                'my-org/three-tier-app (got "three-tier-app")',
        );
    });
});
