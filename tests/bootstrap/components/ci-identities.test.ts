import * as assert from "node:assert/strict";
import {
    CiIdentities,
    IamBinding,
    IDENTITY_ROLES,
    IdentityRoles,
    reviewStateCondition,
    roleName,
    unconditionalIamAdminGrants,
} from "../../../bootstrap/components/ci-identities";
import { byName, ofType, runUnderMocks, unwrap } from "../../helpers/mocks";
import { accountName, describeBindings, email, IAM_TYPES, KEY_IDS, recordedBindings } from "../helpers";

const ARGS = { project: "my-gcp-project", stateBucket: "state-b", keyIds: KEY_IDS };

/** Each identity's roles as the table lists them: `scope[ target] role`, sorted. */
function tableOf(roles: IdentityRoles): Record<string, string[]> {
    return Object.fromEntries(
        Object.entries(roles).map(([identity, grants]) => [
            identity,
            grants
                .map((g) => {
                    const target =
                        g.scope === "key" ? ` ${g.key}` : g.scope === "serviceAccount" ? ` ${g.serviceAccount}` : "";
                    return `${g.scope}${target} ${g.role}`;
                })
                .sort(),
        ]),
    );
}

describe("CiIdentities", () => {
    describe("IDENTITY_ROLES", () => {
        it("lists the least-privilege roles of issue 17 and no other", () =>
            assert.deepEqual(tableOf(IDENTITY_ROLES), {
                nodes: ["project roles/container.defaultNodeServiceAccount"],
                deploy: [
                    "bucket roles/storage.objectAdmin",
                    "key gke-stack roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    "project roles/artifactregistry.admin",
                    "project roles/compute.networkAdmin",
                    "project roles/compute.storageAdmin",
                    "project roles/container.admin",
                    "serviceAccount nodes roles/iam.serviceAccountUser",
                ],
                preview: [
                    "bucket roles/storage.objectViewer",
                    "key gke-stack roles/cloudkms.cryptoKeyDecrypter",
                    "project roles/artifactregistry.reader",
                    "project roles/compute.viewer",
                    "project roles/container.viewer",
                    "project roles/iam.serviceAccountViewer",
                    "project threeTierDriftReader",
                ],
                review: [
                    "bucket roles/storage.objectViewer",
                    "bucketPrefix roles/storage.objectAdmin",
                    "key gke-stack roles/cloudkms.cryptoKeyDecrypter",
                    "key review-stacks roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    "project roles/container.clusterViewer",
                ],
            }));

        it("says why for every grant", () => {
            for (const grants of Object.values(IDENTITY_ROLES)) {
                for (const grant of grants) assert.ok(grant.why.length > 10, `${grant.role} says why`);
            }
        });
    });

    it("creates the four service accounts", async () => {
        const { resources, result } = await runUnderMocks(() => new CiIdentities("ci", ARGS));
        assert.deepEqual(
            ofType(resources, "gcp:serviceaccount/account:Account").map((a) => [a.name, a.inputs.accountId]),
            [
                ["ci-nodes", "three-tier-nodes"],
                ["ci-deploy", "three-tier-deploy"],
                ["ci-preview", "three-tier-preview"],
                ["ci-review", "three-tier-review"],
            ],
        );
        assert.equal(await unwrap(result.emails.deploy), email("three-tier-deploy"));
        assert.equal(await unwrap(result.names.nodes), accountName("three-tier-nodes"));
    });

    it("binds each role of the table on its scope alone, resource-level where the table names a resource", async () => {
        const { resources } = await runUnderMocks(() => new CiIdentities("ci", ARGS));
        const bindings = recordedBindings(resources);
        const of = (accountId: string) =>
            describeBindings(bindings.filter((b) => b.member === `serviceAccount:${email(accountId)}`));
        assert.deepEqual(of("three-tier-deploy"), [
            "bucket state-b roles/storage.objectAdmin",
            `key ${KEY_IDS["gke-stack"]} roles/cloudkms.cryptoKeyEncrypterDecrypter`,
            "project my-gcp-project roles/artifactregistry.admin",
            "project my-gcp-project roles/compute.networkAdmin",
            "project my-gcp-project roles/compute.storageAdmin",
            "project my-gcp-project roles/container.admin",
            `serviceAccount ${accountName("three-tier-nodes")} roles/iam.serviceAccountUser`,
        ]);
        assert.deepEqual(of("three-tier-preview"), [
            "bucket state-b roles/storage.objectViewer",
            `key ${KEY_IDS["gke-stack"]} roles/cloudkms.cryptoKeyDecrypter`,
            "project my-gcp-project projects/my-gcp-project/roles/threeTierDriftReader",
            "project my-gcp-project roles/artifactregistry.reader",
            "project my-gcp-project roles/compute.viewer",
            "project my-gcp-project roles/container.viewer",
            "project my-gcp-project roles/iam.serviceAccountViewer",
        ]);
        assert.deepEqual(of("three-tier-review"), [
            "bucket state-b roles/storage.objectViewer",
            "bucketPrefix state-b roles/storage.objectAdmin",
            `key ${KEY_IDS["gke-stack"]} roles/cloudkms.cryptoKeyDecrypter`,
            `key ${KEY_IDS["review-stacks"]} roles/cloudkms.cryptoKeyEncrypterDecrypter`,
            "project my-gcp-project roles/container.clusterViewer",
        ]);
        assert.deepEqual(of("three-tier-nodes"), ["project my-gcp-project roles/container.defaultNodeServiceAccount"]);
        assert.equal(bindings.length, 20, "no binding for anyone else");
    });

    it("gives the preview identity the cluster's Secrets through a custom role of two permissions", async () => {
        const { resources } = await runUnderMocks(() => new CiIdentities("ci", ARGS));
        assert.deepEqual(
            byName(resources, "gcp:projects/iAMCustomRole:IAMCustomRole", "ci-threeTierDriftReader").inputs,
            {
                project: "my-gcp-project",
                roleId: "threeTierDriftReader",
                title: "three-tier drift reader",
                description:
                    "Reads the cluster's Secrets, which a refresh of stack gke compares (container.viewer cannot)",
                permissions: ["container.secrets.get", "container.secrets.list"],
            },
        );
    });

    it("lets the review identity write only the review stacks' objects", async () => {
        const { resources } = await runUnderMocks(() => new CiIdentities("ci", ARGS));
        const admin = byName(resources, IAM_TYPES.bucket, "ci-review-bucketPrefix-storage.objectAdmin").inputs;
        const prefix = "resource.name.startsWith('projects/_/buckets/state-b/objects/.pulumi";
        assert.deepEqual(admin.condition, {
            title: "review-stacks-only",
            description: "Objects of the review stacks pr-* only",
            expression:
                `${prefix}/stacks/three-tier-app/pr-') || ${prefix}/history/three-tier-app/pr-') || ` +
                `${prefix}/backups/three-tier-app/pr-') || ${prefix}/locks/organization/three-tier-app/pr-')`,
        });
        assert.deepEqual(admin.condition, reviewStateCondition("state-b"));
        // Its other bucket role reads, and writes nothing: no condition needed.
        assert.equal(
            byName(resources, IAM_TYPES.bucket, "ci-review-bucket-storage.objectViewer").inputs.condition,
            undefined,
        );
    });

    it("names a custom role by its project, a predefined one as it is", () => {
        assert.equal(roleName("threeTierDriftReader", "p-1"), "projects/p-1/roles/threeTierDriftReader");
        assert.equal(roleName("roles/container.viewer", "p-1"), "roles/container.viewer");
    });

    describe("unconditionalIamAdminGrants", () => {
        const binding = (scope: IamBinding["scope"], role: string, condition?: string): IamBinding => ({
            scope,
            role,
            member: "serviceAccount:x@p.iam.gserviceaccount.com",
            ...(condition === undefined ? {} : { condition }),
        });
        const cases: [string, IamBinding, boolean][] = [
            ["owner on the project", binding("project", "roles/owner"), true],
            ["editor on the project", binding("project", "roles/editor"), true],
            ["projectIamAdmin", binding("project", "roles/resourcemanager.projectIamAdmin"), true],
            ["securityAdmin", binding("project", "roles/iam.securityAdmin"), true],
            ["owner on a bucket", binding("bucket", "roles/owner"), true],
            ["serviceAccountUser project-wide", binding("project", "roles/iam.serviceAccountUser"), true],
            [
                "serviceAccountTokenCreator project-wide",
                binding("project", "roles/iam.serviceAccountTokenCreator"),
                true,
            ],
            ["serviceAccountUser on one account", binding("serviceAccount", "roles/iam.serviceAccountUser"), false],
            ["tokenCreator on one account", binding("serviceAccount", "roles/iam.serviceAccountTokenCreator"), false],
            [
                "projectIamAdmin narrowed by a condition",
                binding("project", "roles/resourcemanager.projectIamAdmin", "x"),
                false,
            ],
            ["container.admin", binding("project", "roles/container.admin"), false],
            ["storage.admin on the bucket", binding("bucket", "roles/storage.admin"), false],
        ];
        for (const [what, b, refused] of cases) {
            it(`${refused ? "finds" : "lets through"} ${what}`, () =>
                assert.deepEqual(unconditionalIamAdminGrants([b]), refused ? [b] : []));
        }

        it("returns the offending bindings among others, in order", () => {
            const bad = [binding("project", "roles/owner"), binding("project", "roles/iam.serviceAccountUser")];
            const fine = binding("project", "roles/container.viewer");
            assert.deepEqual(unconditionalIamAdminGrants([bad[0], fine, bad[1]]), bad);
        });

        it("finds nothing the component binds", async () => {
            const { resources } = await runUnderMocks(() => new CiIdentities("ci", ARGS));
            assert.deepEqual(unconditionalIamAdminGrants(recordedBindings(resources)), []);
        });

        it("stops the component before it binds a table that would grant one", async () => {
            const roles = {
                ...IDENTITY_ROLES,
                deploy: [
                    ...IDENTITY_ROLES.deploy,
                    { role: "roles/resourcemanager.projectIamAdmin", scope: "project", why: "interim" },
                    { role: "roles/iam.serviceAccountUser", scope: "project", why: "interim" },
                ],
            } as const;
            await assert.rejects(
                runUnderMocks(() => new CiIdentities("ci", { ...ARGS, roles })),
                {
                    message:
                        "CiIdentitiesArgs.roles must not let an identity change IAM or act as any service account: " +
                        "deploy roles/resourcemanager.projectIamAdmin on the project, deploy roles/iam.serviceAccountUser on the project",
                },
            );
        });
    });
});
