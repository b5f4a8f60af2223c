import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    AppImages,
    imageChanged,
    imageToolCommand,
    parseImagePlans,
    parsePushedImage,
    planImages,
} from "../../components/images";
import { MOCK_IMAGE_PLANS, ofType, runUnderMocks, unwrap } from "../helpers/mocks";

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

    it("runs tools/images through tools/shared/run.sh, cached under the project's cache", () => {
        const command = imageToolCommand("/repo", ["key", "backend"]);
        assert.equal(command.file, "/repo/tools/shared/run.sh");
        assert.deepEqual(command.args.slice(2), ["key", "backend"]);
        assert.equal(command.args[0], "images");
        assert.match(command.args[1], /three-tier-app\/tools$/);
    });

    describe("planImages: what tools/images says of each image before building it", () => {
        /** A repository whose tools/shared/run.sh is a script: it logs its arguments and prints `printed`. */
        function fakeRepo(printed: string, exitCode = 0) {
            const repo = fs.mkdtempSync(path.join(os.tmpdir(), "images-repo-"));
            const script = path.join(repo, "tools", "shared", "run.sh");
            fs.mkdirSync(path.dirname(script), { recursive: true });
            fs.writeFileSync(
                script,
                `#!/bin/sh\necho "$* GOTOOLCHAIN=$GOTOOLCHAIN" >> "$(dirname "$0")/calls"\n` +
                    `printf '%s' '${printed}' >&${exitCode === 0 ? 1 : 2}\nexit ${exitCode}\n`,
                { mode: 0o755 },
            );
            const calls = () =>
                fs
                    .readFileSync(path.join(path.dirname(script), "calls"), "utf8")
                    .trim()
                    .split("\n");
            return { repo, calls };
        }
        const repos: string[] = [];
        after(() => repos.forEach((repo) => fs.rmSync(repo, { recursive: true, force: true })));

        it("runs `images key` once per repository and names, with the local Go toolchain, and reads its lines", async () => {
            const { repo, calls } = fakeRepo(`backend v0.4.0 ${KEY}\nredis 7.0.15 ${"c".repeat(64)}\n`);
            repos.push(repo);
            const plans = await planImages(repo, ["redis", "backend"]);
            assert.deepEqual(plans, [
                { name: "redis", tag: "7.0.15", key: "c".repeat(64) },
                { name: "backend", tag: "v0.4.0", key: KEY },
            ]);
            await planImages(repo, ["redis", "backend"]);
            const [call, ...again] = calls();
            assert.deepEqual(again, [], "asked once");
            assert.match(call, /^images \S+three-tier-app\/tools key redis backend GOTOOLCHAIN=local$/);
        });

        it("rejects with what the tool printed on stderr", async () => {
            const { repo } = fakeRepo("images: no go command", 1);
            repos.push(repo);
            await assert.rejects(planImages(repo, ["backend"]), {
                message: "tools/images key backend failed: images: no go command",
            });
        });
    });

    describe("under the mocks, whose tools/images plans are MOCK_IMAGE_PLANS", () => {
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
            for (const plan of MOCK_IMAGE_PLANS) {
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
