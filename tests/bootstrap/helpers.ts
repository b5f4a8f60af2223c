// The bootstrap program as the engine would run it, and its IAM bindings read back from what the mocks
// recorded, in the shape of the bootstrap's own table and guard.
import * as path from "node:path";
import type { IamBinding } from "../../bootstrap/components/ci-identities";
import type { RecordedResource } from "../helpers/mocks";
import { loadEntry, projectDefaults, runRecordingOptions } from "../helpers/stack-config";
import { REPO_ROOT } from "../../project";

export const BOOTSTRAP_DIR = path.join(REPO_ROOT, "bootstrap");
const INDEX = path.join(BOOTSTRAP_DIR, "index.ts");

/** The required keys, set as a person would before the first run. */
export const REQUIRED_CONFIG = {
    "gcp:project": "my-gcp-project",
    "three-tier-bootstrap:githubRepository": "my-org/three-tier-app",
    "three-tier-bootstrap:githubRepositoryId": "987654321",
} as const;

/** Requires bootstrap/index.ts afresh: its module body is the program. */
export function loadBootstrap(): Record<string, unknown> {
    return loadEntry(INDEX);
}

/** Pulumi.yaml's defaults, the required keys and `config` over them; an undefined value unsets a key. */
export function bootstrapConfig(config: Record<string, string | undefined> = {}): Record<string, string> {
    const merged: Record<string, string | undefined> = {
        ...projectDefaults(BOOTSTRAP_DIR),
        ...REQUIRED_CONFIG,
        ...config,
    };
    return Object.fromEntries(
        Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
}

/** bootstrap/index.ts's run under mocks, as the engine would make it, with bootstrapConfig(config); shared, see runRecordingOptions. */
export function runBootstrap(config: Record<string, string | undefined> = {}) {
    return runRecordingOptions(INDEX, { stack: "bootstrap", config: bootstrapConfig(config) });
}

export const IAM_TYPES = {
    project: "gcp:projects/iAMMember:IAMMember",
    bucket: "gcp:storage/bucketIAMMember:BucketIAMMember",
    key: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    serviceAccount: "gcp:serviceaccount/iAMMember:IAMMember",
} as const;

/** A recorded binding, with what it is held on: a project id, a bucket, a key id or an account's name. */
export interface RecordedBinding extends IamBinding {
    readonly on: string;
}

/** Every IAM binding among the recorded resources. A bucket binding with a condition is a bucketPrefix one. */
export function recordedBindings(resources: readonly RecordedResource[]): RecordedBinding[] {
    return resources.flatMap((r): RecordedBinding[] => {
        const { role, member } = r.inputs;
        const condition = r.inputs.condition === undefined ? {} : { condition: r.inputs.condition.expression };
        switch (r.type) {
            case IAM_TYPES.project:
                return [{ scope: "project", on: r.inputs.project, role, member, ...condition }];
            case IAM_TYPES.bucket:
                return [
                    {
                        scope: r.inputs.condition === undefined ? "bucket" : "bucketPrefix",
                        on: r.inputs.bucket,
                        role,
                        member,
                        ...condition,
                    },
                ];
            case IAM_TYPES.key:
                return [{ scope: "key", on: r.inputs.cryptoKeyId, role, member, ...condition }];
            case IAM_TYPES.serviceAccount:
                return [{ scope: "serviceAccount", on: r.inputs.serviceAccountId, role, member, ...condition }];
            default:
                return [];
        }
    });
}

/** `scope on role`, one line per binding, sorted: a form two lists of bindings compare in. */
export function describeBindings(bindings: readonly { scope: string; on: string; role: string }[]): string[] {
    return bindings.map((b) => `${b.scope} ${b.on} ${b.role}`).sort();
}

export const KEY_IDS = {
    "gke-stack": "projects/my-gcp-project/locations/us-central1/keyRings/three-tier-app/cryptoKeys/gke-stack",
    "review-stacks": "projects/my-gcp-project/locations/us-central1/keyRings/three-tier-app/cryptoKeys/review-stacks",
} as const;

/** The email of a service account of my-gcp-project. */
export function email(accountId: string): string {
    return `${accountId}@my-gcp-project.iam.gserviceaccount.com`;
}

/** The resource name of a service account of my-gcp-project. */
export function accountName(accountId: string): string {
    return `projects/my-gcp-project/serviceAccounts/${email(accountId)}`;
}
