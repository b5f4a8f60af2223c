import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { byKey, keysOf } from "./by-key";

/**
 * The keys, one per stack kind: only review stacks write with review-stacks. The review identity may also
 * decrypt with gke-stack, which the CLI asks of anyone reading gke's outputs through a StackReference
 * (pulumi/pulumi#21436): gke's state must hold nothing a review stack must not read (its kubeconfig holds
 * no credential; its Redis password is reachable only from gke's API pods).
 */
export const KMS_KEYS = {
    "gke-stack": "secrets provider of stack gke, and GKE's application-layer encryption of the cluster's Secrets",
    "review-stacks": "secrets provider of the pr-* review stacks",
} as const;
export type KeyName = keyof typeof KMS_KEYS;

/** Defaults of SecretsKeysArgs. */
export const SECRETS_KEYS_DEFAULTS = {
    keyRing: "three-tier-app",
    /** 90 days: a new key version encrypts from then on; older versions still decrypt what they encrypted. */
    rotationPeriod: "7776000s",
} as const;

export interface SecretsKeysArgs {
    /**
     * The GCP project. Give ProjectApis.project: GKE creates its service agent when the container API is
     * turned on, and the agent's grant below waits for the keys, which then wait for the APIs.
     */
    readonly project: pulumi.Input<string>;
    /** The key ring's region: GKE encrypts a cluster's Secrets only with a key in the cluster's region. */
    readonly location: string;
    /** The project's number, which names GKE's service agent. */
    readonly projectNumber: pulumi.Input<string>;
    /** Default: SECRETS_KEYS_DEFAULTS.keyRing. */
    readonly keyRing?: string;
    /** Default: SECRETS_KEYS_DEFAULTS.rotationPeriod. */
    readonly rotationPeriod?: string;
    /** GCP labels of the keys. Default: none. */
    readonly labels?: Record<string, string>;
}

/** The agent GKE runs as in a project; it encrypts a cluster's Secrets with the cluster's databaseEncryption key. */
export function gkeServiceAgent(projectNumber: string): string {
    return `service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`;
}

/** Pulumi's secrets provider URL for a Cloud KMS key id (`projects/…/cryptoKeys/…`). */
export function gcpkmsSecretsProvider(keyId: string): string {
    return `gcpkms://${keyId}`;
}

/**
 * A key ring with one symmetric key per trust level (KMS_KEYS), rotated, and GKE's service agent allowed
 * to use the gke-stack key for the cluster's Secrets.
 */
export class SecretsKeys extends pulumi.ComponentResource {
    /** Each key's id, `projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>`. */
    public readonly keyIds: Record<KeyName, pulumi.Output<string>>;
    /** Each key as a secrets provider for `pulumi stack init --secrets-provider`. */
    public readonly secretsProviders: Record<KeyName, pulumi.Output<string>>;

    constructor(name: string, args: SecretsKeysArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-bootstrap:index:SecretsKeys", name, {}, opts);
        const keyRing = new gcp.kms.KeyRing(
            `${name}-ring`,
            { project: args.project, location: args.location, name: args.keyRing ?? SECRETS_KEYS_DEFAULTS.keyRing },
            { parent: this },
        );
        const keys = keysOf(KMS_KEYS);
        this.keyIds = byKey(
            keys,
            (key) =>
                new gcp.kms.CryptoKey(
                    `${name}-${key}`,
                    {
                        keyRing: keyRing.id,
                        name: key,
                        purpose: "ENCRYPT_DECRYPT",
                        rotationPeriod: args.rotationPeriod ?? SECRETS_KEYS_DEFAULTS.rotationPeriod,
                        labels: args.labels ?? {},
                    },
                    // Deleting a key destroys its versions: every secret it encrypted would be lost for good.
                    { parent: this, protect: true },
                ).id,
        );
        this.secretsProviders = byKey(keys, (key) => this.keyIds[key].apply(gcpkmsSecretsProvider));

        new gcp.kms.CryptoKeyIAMMember(
            `${name}-gke-agent`,
            {
                cryptoKeyId: this.keyIds["gke-stack"],
                role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member: pulumi.interpolate`serviceAccount:${pulumi.output(args.projectNumber).apply(gkeServiceAgent)}`,
            },
            { parent: this },
        );
        this.registerOutputs({ keyIds: this.keyIds, secretsProviders: this.secretsProviders });
    }
}
