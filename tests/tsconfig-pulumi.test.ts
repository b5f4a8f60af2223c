// tsconfig.pulumi.json is how `pulumi preview`/`up` load the program: SWC through ts-node, without a type
// check (`npm run typecheck` does that) and without ES module interop helpers, whose wrapped module objects
// the closure serializer of dynamic providers cannot turn back into `require` calls. This runs the program
// for stacks local and gke under mocks in a child process loaded exactly that way, as the Node.js runtime
// of the Pulumi SDK registers ts-node (from Pulumi.yaml's tsconfig, not from mocha's).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../project";

const CHILD = `
const options = JSON.parse(process.argv[2]);
// A provider that does not serialize fails its resource's registration out of band: fail the run on it.
process.on("unhandledRejection", (e) => { console.error(e); process.exit(1); });
require(options.tsNode).register({ project: options.tsconfig, transpileOnly: true, compilerOptions: {} });
const { runProgram } = require(options.stackConfigHelper);
(async () => {
    const runs = {};
    for (const stack of options.stacks) {
        const { resources } = await runProgram(stack);
        const dynamic = resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
        runs[stack] = {
            resources: resources.length,
            serializedProviders: dynamic.filter((r) => typeof r.inputs.__provider === "string").map((r) => r.name),
        };
    }
    console.log(JSON.stringify(runs));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe("tsconfig.pulumi.json: the program as pulumi loads it", function () {
    this.timeout(60_000);
    const runtime = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")).runtime;
    const tsconfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, runtime.options.tsconfig), "utf8"));

    it("is the file Pulumi.yaml names, transpiled by SWC, type-checked elsewhere", () => {
        assert.equal(runtime.options.tsconfig, "tsconfig.pulumi.json");
        assert.deepEqual([tsconfig["ts-node"]?.swc, tsconfig.compilerOptions.noCheck], [true, true]);
    });

    // local runs the images' provider; gke adds the Redis password's, which review stacks run too.
    it("registers every resource of stacks local and gke, and their dynamic providers serialize", () => {
        // A script file, not `node -e`: eval code sees Node's modules as globals, which hides the failure.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsconfig-pulumi-"));
        const script = path.join(dir, "run.js");
        fs.writeFileSync(script, CHILD);
        const options = {
            tsconfig: runtime.options.tsconfig,
            tsNode: require.resolve("ts-node"),
            stackConfigHelper: path.join(__dirname, "helpers/stack-config"),
            stacks: ["local", "gke"],
        };
        let out: string;
        try {
            out = execFileSync(process.execPath, [script, JSON.stringify(options)], {
                cwd: REPO_ROOT,
                encoding: "utf8",
                env: { ...process.env, TS_NODE_PROJECT: "" },
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        const runs = JSON.parse(out.trim().split("\n").pop()!);
        const images = ["web-images-backend", "web-images-nginx", "web-images-redis"];
        assert.ok(runs.local.resources > 20 && runs.gke.resources > 20, JSON.stringify(runs));
        assert.deepEqual(runs.local.serializedProviders.sort(), images);
        assert.deepEqual(runs.gke.serializedProviders.sort(), [...images, "web-redis-password"].sort());
    });
});
