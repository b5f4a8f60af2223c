import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { byKey, keysOf } from "./by-key";
import type { KeyName } from "./secrets-keys";
import { PROJECT } from "../../project";

/** The service accounts: account id, and what runs as it. */
export const IDENTITIES = {
    nodes: { accountId: "three-tier-nodes", runs: "the nodes of gke's cluster" },
    deploy: { accountId: "three-tier-deploy", runs: "pulumi up and destroy of stack gke (deploy.yml, production)" },
    preview: { accountId: "three-tier-preview", runs: "previews, drift checks and review-stack decisions" },
    review: { accountId: "three-tier-review", runs: "pulumi up and destroy of the review stacks pr-*" },
} as const;
export type Identity = keyof typeof IDENTITIES;

/**
 * A role held on one scope: the project, the state bucket (all of it, or bucketPrefix: only the review
 * stacks' objects, REVIEW_STATE_PREFIXES), one KMS key, or one service account. `role` is a predefined
 * role (`roles/…`) or the id of one of CUSTOM_ROLES.
 */
export type Grant = { readonly role: string; readonly why: string } & (
    | { readonly scope: "project" | "bucket" | "bucketPrefix" }
    | { readonly scope: "key"; readonly key: KeyName }
    | { readonly scope: "serviceAccount"; readonly serviceAccount: Identity }
);
export type Scope = Grant["scope"];
export type IdentityRoles = Readonly<Record<Identity, readonly Grant[]>>;

/** The project's custom roles, by role id: permissions no predefined role grants without much more. */
export const CUSTOM_ROLES = {
    threeTierDriftReader: {
        title: "three-tier drift reader",
        description: "Reads the cluster's Secrets, which a refresh of stack gke compares (container.viewer cannot)",
        permissions: ["container.secrets.get", "container.secrets.list"],
    },
} as const;
export type CustomRoleId = keyof typeof CUSTOM_ROLES;

/** Where a DIY backend keeps a stack's state, history, backups and locks: the review stacks' objects. */
export const REVIEW_STATE_PREFIXES = [
    `.pulumi/stacks/${PROJECT}/pr-`,
    `.pulumi/history/${PROJECT}/pr-`,
    `.pulumi/backups/${PROJECT}/pr-`,
    `.pulumi/locks/organization/${PROJECT}/pr-`,
] as const;

/**
 * Who holds which role where, and why: the one table the component grants from and the tests check the
 * granted bindings against. Nothing here lets an identity change IAM (unconditionalIamAdminGrants).
 */
export const IDENTITY_ROLES = {
    nodes: [
        {
            role: "roles/container.defaultNodeServiceAccount",
            scope: "project",
            why: "what a GKE node needs (logs, metrics, metadata); pulling images is granted on the app's repository only",
        },
    ],
    deploy: [
        { role: "roles/container.admin", scope: "project", why: "the cluster, its node pool and the app's objects" },
        { role: "roles/compute.networkAdmin", scope: "project", why: "the cluster's network, router and NAT" },
        { role: "roles/compute.storageAdmin", scope: "project", why: "the Redis disk the program owns" },
        {
            role: "roles/artifactregistry.admin",
            scope: "project",
            why: "the images' repository: create it, grant the nodes and the review identity on it, push",
        },
        {
            role: "roles/iam.serviceAccountUser",
            scope: "serviceAccount",
            serviceAccount: "nodes",
            why: "run the nodes as three-tier-nodes, and as no other account",
        },
        { role: "roles/storage.objectAdmin", scope: "bucket", why: "read and write the stacks' state" },
        {
            role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            scope: "key",
            key: "gke-stack",
            why: "gke's secrets provider",
        },
    ],
    preview: [
        { role: "roles/container.viewer", scope: "project", why: "the cluster and its objects, Secrets excepted" },
        { role: "roles/compute.viewer", scope: "project", why: "the network and the disk" },
        { role: "roles/iam.serviceAccountViewer", scope: "project", why: "the service accounts gke names" },
        { role: "roles/artifactregistry.reader", scope: "project", why: "the images' repository" },
        {
            role: "threeTierDriftReader",
            scope: "project",
            why: "the Redis Secret, which the drift check's refresh reads back",
        },
        { role: "roles/storage.objectViewer", scope: "bucket", why: "read the stacks' state; never write it" },
        {
            role: "roles/cloudkms.cryptoKeyDecrypter",
            scope: "key",
            key: "gke-stack",
            why: "a preview of gke decrypts its state; it encrypts nothing",
        },
    ],
    review: [
        {
            role: "roles/container.clusterViewer",
            scope: "project",
            why: "container.clusters.get, which GKE asks of a caller of the cluster's API; Kubernetes RBAC does the rest",
        },
        { role: "roles/storage.objectViewer", scope: "bucket", why: "gke's kubeconfig and imageRegistry outputs" },
        {
            role: "roles/storage.objectAdmin",
            scope: "bucketPrefix",
            why: "the review stacks' own state, locks included",
        },
        {
            role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            scope: "key",
            key: "review-stacks",
            why: "the review stacks' secrets provider",
        },
        {
            role: "roles/cloudkms.cryptoKeyDecrypter",
            scope: "key",
            key: "gke-stack",
            why:
                "gke's outputs through a StackReference: the CLI (3.259) unwraps the referenced stack's data key " +
                "before it reads any output, secret or not (pulumi/pulumi#21436)",
        },
    ],
} as const satisfies IdentityRoles;

/** The role's full name as IAM takes it: a custom role's id becomes `projects/<project>/roles/<id>`. */
export function roleName(role: string, project: string): string {
    return role.startsWith("roles/") ? role : `projects/${project}/roles/${role}`;
}

/** The IAM condition of the review identity's objectAdmin: objects under REVIEW_STATE_PREFIXES only. */
export function reviewStateCondition(bucket: string): { title: string; description: string; expression: string } {
    return {
        title: "review-stacks-only",
        description: "Objects of the review stacks pr-* only",
        expression: REVIEW_STATE_PREFIXES.map(
            (prefix) => `resource.name.startsWith('projects/_/buckets/${bucket}/objects/${prefix}')`,
        ).join(" || "),
    };
}

/** One IAM binding: who (`member`) holds `role` on what kind of resource, under which condition if any. */
export interface IamBinding {
    readonly scope: Scope;
    readonly role: string;
    readonly member: string;
    /** The condition's expression, when the binding has one. */
    readonly condition?: string;
}

/** Roles that change who may do what in the project, or allow everything: refused on any scope. */
const IAM_ADMIN_ROLES: readonly string[] = [
    "roles/owner",
    "roles/editor",
    "roles/resourcemanager.projectIamAdmin",
    "roles/iam.securityAdmin",
];
/** Roles that act as a service account: fine on one account, refused project-wide (every account, and any future one). */
const IMPERSONATION_ROLES: readonly string[] = ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"];

/**
 * The bindings that would let their member take more than its table says: an IAM admin role anywhere, or
 * acting as any service account of the project. A binding with a condition is the IAM way to narrow such a
 * role (which roles may be granted, say), so only unconditional ones are returned.
 */
export function unconditionalIamAdminGrants(bindings: readonly IamBinding[]): IamBinding[] {
    return bindings.filter(
        (b) =>
            b.condition === undefined &&
            (IAM_ADMIN_ROLES.includes(b.role) || (b.scope === "project" && IMPERSONATION_ROLES.includes(b.role))),
    );
}

/** The bindings a table asks for, each identity standing as its own member. */
export function plannedBindings(roles: IdentityRoles): IamBinding[] {
    return keysOf(roles).flatMap((identity) =>
        roles[identity].map((grant) => ({
            scope: grant.scope,
            role: grant.role,
            member: identity,
            // The expression names the bucket, which a table does not: its description stands in for it.
            ...(grant.scope === "bucketPrefix" ? { condition: "objects under REVIEW_STATE_PREFIXES" } : {}),
        })),
    );
}

export interface CiIdentitiesArgs {
    /** The GCP project. */
    readonly project: pulumi.Input<string>;
    /** The state bucket's name. */
    readonly stateBucket: pulumi.Input<string>;
    /** Ids of the KMS keys (SecretsKeys.keyIds). */
    readonly keyIds: Readonly<Record<KeyName, pulumi.Input<string>>>;
    /** Who holds which role. Default: IDENTITY_ROLES. */
    readonly roles?: IdentityRoles;
}

/** The name of a grant's binding: unique per identity, role and what it is held on. */
function bindingName(name: string, identity: Identity, grant: Grant): string {
    const on =
        grant.scope === "key" ? grant.key : grant.scope === "serviceAccount" ? grant.serviceAccount : grant.scope;
    return `${name}-${identity}-${on}-${grant.role.replace(/^roles\//, "")}`;
}

/** What grants are held on: the project, the state bucket, the keys and the service accounts' names. */
interface GrantTargets {
    readonly project: pulumi.Input<string>;
    readonly stateBucket: pulumi.Input<string>;
    readonly keyIds: Readonly<Record<KeyName, pulumi.Input<string>>>;
    readonly accounts: Readonly<Record<Identity, pulumi.Input<string>>>;
}

/** Binds one grant's role for a member on the grant's scope, as the IAM member resource of that scope. */
function bindGrant(
    name: string,
    grant: Grant,
    binding: { readonly role: pulumi.Input<string>; readonly member: pulumi.Input<string> },
    targets: GrantTargets,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    switch (grant.scope) {
        case "project":
            return new gcp.projects.IAMMember(name, { ...binding, project: targets.project }, opts);
        case "bucket":
            return new gcp.storage.BucketIAMMember(name, { ...binding, bucket: targets.stateBucket }, opts);
        case "bucketPrefix":
            return new gcp.storage.BucketIAMMember(
                name,
                {
                    ...binding,
                    bucket: targets.stateBucket,
                    condition: pulumi.output(targets.stateBucket).apply(reviewStateCondition),
                },
                opts,
            );
        case "key":
            return new gcp.kms.CryptoKeyIAMMember(name, { ...binding, cryptoKeyId: targets.keyIds[grant.key] }, opts);
        case "serviceAccount":
            return new gcp.serviceaccount.IAMMember(
                name,
                { ...binding, serviceAccountId: targets.accounts[grant.serviceAccount] },
                opts,
            );
    }
}

/**
 * The CI's and the nodes' service accounts, the custom roles, and every role of the table, each bound on
 * its scope alone (a resource-level binding where the table names one resource).
 */
export class CiIdentities extends pulumi.ComponentResource {
    /** Emails, `<account id>@<project>.iam.gserviceaccount.com`. */
    public readonly emails: Record<Identity, pulumi.Output<string>>;
    /** Resource names, `projects/<project>/serviceAccounts/<email>`, as IAM bindings on an account take them. */
    public readonly names: Record<Identity, pulumi.Output<string>>;

    constructor(name: string, args: CiIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-bootstrap:index:CiIdentities", name, {}, opts);
        const roles = args.roles ?? IDENTITY_ROLES;
        const refused = unconditionalIamAdminGrants(plannedBindings(roles));
        if (refused.length > 0) {
            throw new Error(
                "CiIdentitiesArgs.roles must not let an identity change IAM or act as any service account: " +
                    refused.map((b) => `${b.member} ${b.role} on the ${b.scope}`).join(", "),
            );
        }
        const childOpts = { parent: this };
        const identities = keysOf(IDENTITIES);
        const accounts = byKey(
            identities,
            (identity) =>
                new gcp.serviceaccount.Account(
                    `${name}-${identity}`,
                    {
                        project: args.project,
                        accountId: IDENTITIES[identity].accountId,
                        displayName: IDENTITIES[identity].accountId,
                        description: `Runs ${IDENTITIES[identity].runs}`,
                    },
                    childOpts,
                ),
        );
        const customRoles = byKey(keysOf(CUSTOM_ROLES), (roleId) => {
            const { title, description, permissions } = CUSTOM_ROLES[roleId];
            return new gcp.projects.IAMCustomRole(
                `${name}-${roleId}`,
                { project: args.project, roleId, title, description, permissions: [...permissions] },
                childOpts,
            );
        });

        this.emails = byKey(identities, (identity) => accounts[identity].email);
        this.names = byKey(identities, (identity) => accounts[identity].name);
        const targets = { ...args, accounts: this.names };
        for (const identity of identities) {
            const member = pulumi.interpolate`serviceAccount:${this.emails[identity]}`;
            for (const grant of roles[identity]) {
                // A custom role's binding waits for the role: it takes the role's id from the resource.
                const roleId = Object.hasOwn(customRoles, grant.role)
                    ? customRoles[grant.role as CustomRoleId].roleId
                    : grant.role;
                const role = pulumi.all([args.project, roleId]).apply(([project, id]) => roleName(id, project));
                bindGrant(bindingName(name, identity, grant), grant, { role, member }, targets, childOpts);
            }
        }

        this.registerOutputs({ emails: this.emails, names: this.names });
    }
}
