import * as assert from "node:assert/strict";
import * as path from "node:path";
import {
    AppImages,
    imageChanged,
    imageToolCommand,
    parseImagePlans,
    parsePushedImage,
    planImages,
} from "../../components/images";
import { ofType, runUnderMocks, unwrap } from "../helpers/mocks";

const REPO = path.join(__dirname, "..", "..");
const KEY = "a".repeat(64);
const DIGEST = `sha256:${"b".repeat(64)}`;

describe("AppImages", () => {
    describe("parseImagePlans: tag and key of each image from `images key`", () => {
        it("reads each requested image's tag and key, in the order asked", () => {
            const keys = `redis 7.0.15 ${"c".repeat(64)}\nbackend v0.4.0 ${KEY}\n`;
            assert.deepEqual(parseImagePlans(keys, ["backend", "redis"]), [
                { name: "backend", tag: "v0.4.0", key: KEY },
                { name: "redis", tag: "7.0.15", key: "c".repeat(64) },
            ]);
        });

        it("fails, naming the image, when the tool gave no line, no tag or a malformed key", () => {
            assert.throws(() => parseImagePlans(`backend v0.4.0 ${KEY}`, ["nginx"]), /image nginx/);
            assert.throws(() => parseImagePlans(`backend ${KEY}`, ["backend"]), /image backend/);
            assert.throws(() => parseImagePlans("backend v0.4.0 not-a-key", ["backend"]), /image backend/);
        });
    });

    describe("parsePushedImage: the JSON line `images push` prints", () => {
        const line = (over: Record<string, string> = {}) =>
            JSON.stringify({
                name: "backend",
                key: KEY,
                repository: "172.31.255.2:5000/three-tier-app/backend",
                tag: "v0.4.0",
                digest: DIGEST,
                ref: `172.31.255.2:5000/three-tier-app/backend@${DIGEST}`,
                ...over,
            });

        it("reads the image's line among others", () => {
            const pushed = parsePushedImage(`${line({ name: "nginx" })}\n${line()}\n`, "backend");
            assert.equal(pushed.ref, `172.31.255.2:5000/three-tier-app/backend@${DIGEST}`);
        });

        for (const [title, stdout] of [
            ["no line for the image", line({ name: "nginx" })],
            ["a digest that is not sha256", line({ digest: "sha256:abc" })],
            ["a ref that is not repository@digest", line({ ref: "172.31.255.2:5000/three-tier-app/backend:v0.4.0" })],
        ]) {
            it(`refuses ${title}`, () => assert.throws(() => parsePushedImage(stdout, "backend"), /image backend/));
        }
    });

    describe("imageChanged: what makes preview show an update", () => {
        const olds = { name: "backend" as const, key: KEY, registry: "r/app", insecure: false };
        const cases: [string, Partial<typeof olds>, boolean][] = [
            ["nothing", {}, false],
            ["the sources (key)", { key: "c".repeat(64) }, true],
            ["the registry", { registry: "s/app" }, true],
            ["HTTP instead of HTTPS", { insecure: true }, true],
        ];
        for (const [title, change, changed] of cases) {
            it(`${title} → ${changed}`, () => assert.equal(imageChanged(olds, { ...olds, ...change }), changed));
        }
    });

    it("runs tools/images through tools/toolkit/run.sh, cached under the project's cache", () => {
        const command = imageToolCommand("/repo", ["key", "backend"]);
        assert.equal(command.file, "/repo/tools/toolkit/run.sh");
        assert.deepEqual(command.args.slice(2), ["key", "backend"]);
        assert.equal(command.args[0], "images");
        assert.match(command.args[1], /three-tier-app\/tools$/);
    });

    describe("with this repository's tools/images", () => {
        it("plans the three images with keys that stay the same while the sources do", async function () {
            this.timeout(300_000); // the first call builds tools/images
            const first = await planImages(REPO, ["backend", "nginx", "redis"]);
            assert.deepEqual(
                first.map((p) => p.name),
                ["backend", "nginx", "redis"],
            );
            for (const plan of first) assert.match(plan.key, /^[a-f0-9]{64}$/);
            assert.equal(new Set(first.map((p) => p.key)).size, 3);
            assert.deepEqual(await planImages(REPO, ["backend", "nginx", "redis"]), first);
        });

        it("registers one image resource per name, pushed to the registry, and gives each by digest", async () => {
            const run = await runUnderMocks(
                () => new AppImages("images", { registry: "172.31.255.2:5000/three-tier-app", insecure: true }),
            );
            const images = run.result.images;
            const recorded = ofType(run.resources, "pulumi-nodejs:dynamic:Resource");
            assert.deepEqual(
                recorded.map((r) => [r.name, r.inputs.name, r.inputs.registry, r.inputs.insecure]),
                [
                    ["images-backend", "backend", "172.31.255.2:5000/three-tier-app", true],
                    ["images-nginx", "nginx", "172.31.255.2:5000/three-tier-app", true],
                    ["images-redis", "redis", "172.31.255.2:5000/three-tier-app", true],
                ],
            );
            const plans = await planImages(REPO, ["backend", "nginx", "redis"]);
            for (const plan of plans) {
                const inputs = recorded.find((r) => r.inputs.name === plan.name)!.inputs;
                assert.equal(inputs.key, plan.key, `${plan.name}'s key is the tool's`);
                assert.match(
                    await unwrap(images[plan.name]!.ref),
                    new RegExp(`^172\\.31\\.255\\.2:5000/three-tier-app/${plan.name}@sha256:[a-f0-9]{64}$`),
                );
                assert.equal(await unwrap(images[plan.name]!.version), plan.tag);
            }
        });

        it("builds only the images asked for", async () => {
            const run = await runUnderMocks(
                () => new AppImages("images", { registry: "r.example/app", names: ["redis"] }),
            );
            assert.deepEqual(Object.keys(run.result.images), ["redis"]);
            assert.deepEqual(
                ofType(run.resources, "pulumi-nodejs:dynamic:Resource").map((r) => r.inputs.name),
                ["redis"],
            );
        });
    });
});
