import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { GeneratedPassword, newPassword, PASSWORD_BYTES } from "../../components/generated-password";
import { runUnderMocks, unwrap } from "../helpers/mocks";
import { OptionRecorder } from "../helpers/options";

describe("GeneratedPassword", () => {
    it("makes base64url text of the given number of random bytes, a different one each time", () => {
        const passwords = new Set(Array.from({ length: 50 }, () => newPassword(PASSWORD_BYTES)));
        assert.equal(passwords.size, 50);
        for (const p of passwords) {
            assert.match(p, /^[A-Za-z0-9_-]{32}$/, "24 bytes are 32 base64url characters");
            assert.equal(Buffer.from(p, "base64url").length, PASSWORD_BYTES);
        }
    });

    it("asks the engine to keep its value secret", async () => {
        const recorder = new OptionRecorder();
        const { resources, result } = await runUnderMocks(
            () => new GeneratedPassword("p", {}, { transformations: [recorder.transformation] }),
        );
        assert.deepEqual(resources[0].inputs.bytes, PASSWORD_BYTES);
        // The engine applies it (mocks do not): the value is stored and shown as a secret.
        assert.deepEqual(
            (recorder.options("pulumi-nodejs:dynamic:Resource", "p") as pulumi.CustomResourceOptions)
                .additionalSecretOutputs,
            ["value"],
        );
        assert.equal(await unwrap(result.value), "generated-password-of-p");
    });
});
