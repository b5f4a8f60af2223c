import * as assert from "node:assert/strict";
import { ProjectApis } from "../../../bootstrap/components/project-apis";
import { ofType, runUnderMocks, unwrap } from "../../helpers/mocks";
import { OptionRecorder } from "../../helpers/options";

const SERVICE = "gcp:projects/service:Service";

describe("ProjectApis", () => {
    it("turns on exactly the APIs the stacks and the bootstrap call, and leaves them on at destroy", async () => {
        const { resources } = await runUnderMocks(() => new ProjectApis("apis", { project: "my-project" }));
        const services = ofType(resources, SERVICE);
        assert.deepEqual(services.map((s) => s.inputs.service).sort(), [
            "artifactregistry.googleapis.com",
            "cloudkms.googleapis.com",
            "cloudresourcemanager.googleapis.com",
            "compute.googleapis.com",
            "container.googleapis.com",
            "iam.googleapis.com",
            "iamcredentials.googleapis.com",
            "storage.googleapis.com",
            "sts.googleapis.com",
        ]);
        for (const service of services) {
            assert.deepEqual(
                service.inputs,
                { project: "my-project", service: service.inputs.service, disableOnDestroy: false },
                service.name,
            );
        }
        assert.equal(resources.length, services.length, "nothing but the APIs");
    });

    it("hands out the project id as an output of every API, so what takes it waits for them", async () => {
        const recorder = new OptionRecorder();
        const { result } = await runUnderMocks(
            () => new ProjectApis("apis", { project: "my-project" }, { transformations: [recorder.transformation] }),
        );
        assert.equal(await unwrap(result.project), "my-project");
        assert.deepEqual(recorder.dependenciesOf(result.project), [
            "apis-artifactregistry",
            "apis-cloudkms",
            "apis-cloudresourcemanager",
            "apis-compute",
            "apis-container",
            "apis-iam",
            "apis-iamcredentials",
            "apis-storage",
            "apis-sts",
        ]);
    });
});
