import * as assert from "node:assert/strict";
import { StateBucket } from "../../../bootstrap/components/state-bucket";
import { byName, runUnderMocks, unwrap } from "../../helpers/mocks";

describe("StateBucket", () => {
    it("keeps state behind IAM alone, never public, every write versioned, and refuses to delete states", async () => {
        const { resources, result } = await runUnderMocks(
            () =>
                new StateBucket("state", {
                    project: "my-project",
                    name: "my-project-pulumi-state",
                    location: "europe-west1",
                    labels: { "part-of": "three-tier-app" },
                }),
        );
        assert.equal(resources.length, 1);
        assert.deepEqual(byName(resources, "gcp:storage/bucket:Bucket", "state-bucket").inputs, {
            project: "my-project",
            name: "my-project-pulumi-state",
            location: "europe-west1",
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            versioning: { enabled: true },
            forceDestroy: false,
            labels: { "part-of": "three-tier-app" },
        });
        assert.equal(await unwrap(result.url), "gs://my-project-pulumi-state");
        assert.equal(await unwrap(result.name), "my-project-pulumi-state");
    });

    it("has no labels unless given", async () => {
        const { resources } = await runUnderMocks(
            () => new StateBucket("state", { project: "p", name: "p-pulumi-state", location: "us-central1" }),
        );
        assert.deepEqual(resources[0].inputs.labels, {});
    });
});
