import * as assert from "node:assert/strict";
import {
    gcpkmsSecretsProvider,
    gkeServiceAgent,
    SecretsKeys,
    SECRETS_KEYS_DEFAULTS,
} from "../../../bootstrap/components/secrets-keys";
import { byName, ofType, runUnderMocks, unwrap } from "../../helpers/mocks";
import { OptionRecorder } from "../../helpers/options";

const TYPES = {
    ring: "gcp:kms/keyRing:KeyRing",
    key: "gcp:kms/cryptoKey:CryptoKey",
    member: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
} as const;
const ARGS = { project: "my-project", location: "europe-west1", projectNumber: "555", labels: { "part-of": "x" } };
const RING = "projects/my-project/locations/europe-west1/keyRings/three-tier-app";

async function keys() {
    const recorder = new OptionRecorder();
    const run = await runUnderMocks(
        () => new SecretsKeys("secrets", ARGS, { transformations: [recorder.transformation] }),
    );
    return { ...run, recorder };
}

describe("SecretsKeys", () => {
    it("keeps one key ring in the given region", async () => {
        const { resources } = await keys();
        assert.deepEqual(byName(resources, TYPES.ring, "secrets-ring").inputs, {
            project: "my-project",
            location: "europe-west1",
            name: "three-tier-app",
        });
    });

    it("has two symmetric keys, gke-stack and review-stacks, rotated every 90 days", async () => {
        const { resources } = await keys();
        const keyInputs = ofType(resources, TYPES.key).map((k) => [k.name, k.inputs]);
        const expected = (name: string) => ({
            keyRing: RING,
            name,
            purpose: "ENCRYPT_DECRYPT",
            rotationPeriod: "7776000s",
            labels: { "part-of": "x" },
        });
        assert.deepEqual(keyInputs, [
            ["secrets-gke-stack", expected("gke-stack")],
            ["secrets-review-stacks", expected("review-stacks")],
        ]);
        assert.equal(Number.parseInt(SECRETS_KEYS_DEFAULTS.rotationPeriod, 10), 90 * 24 * 60 * 60);
    });

    it("protects both keys, and nothing else: deleting a key would lose what it encrypted", async () => {
        const { recorder } = await keys();
        assert.deepEqual(recorder.protectedNames(), ["secrets-gke-stack", "secrets-review-stacks"]);
    });

    it("lets GKE's service agent use the gke-stack key alone, for the cluster's Secrets", async () => {
        const { resources } = await keys();
        assert.deepEqual(
            ofType(resources, TYPES.member).map((m) => m.inputs),
            [
                {
                    cryptoKeyId: `${RING}/cryptoKeys/gke-stack`,
                    role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    member: "serviceAccount:service-555@container-engine-robot.iam.gserviceaccount.com",
                },
            ],
        );
    });

    it("gives each key's id and its secrets provider URL", async () => {
        const { result } = await keys();
        assert.equal(await unwrap(result.keyIds["gke-stack"]), `${RING}/cryptoKeys/gke-stack`);
        assert.equal(await unwrap(result.keyIds["review-stacks"]), `${RING}/cryptoKeys/review-stacks`);
        assert.equal(await unwrap(result.secretsProviders["gke-stack"]), `gcpkms://${RING}/cryptoKeys/gke-stack`);
        assert.equal(
            await unwrap(result.secretsProviders["review-stacks"]),
            `gcpkms://${RING}/cryptoKeys/review-stacks`,
        );
    });

    it("names GKE's service agent and the secrets provider as GCP and Pulumi spell them", () => {
        assert.equal(gkeServiceAgent("123"), "service-123@container-engine-robot.iam.gserviceaccount.com");
        assert.equal(
            gcpkmsSecretsProvider("projects/p/locations/l/keyRings/r/cryptoKeys/k"),
            "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
        );
    });
});
