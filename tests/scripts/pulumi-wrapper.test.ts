// scripts/pulumi.sh's choice of stacks that need the gcp provider (plugin acquisition on), from its
// function, sourced: running the wrapper would build the toolchain. What the toolchain's environment
// keeps of the caller's (backend, acquisition) is tools/toolchain/env_test.go's.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../project";

const WRAPPER = path.join(REPO_ROOT, "scripts", "pulumi.sh");

/** Whether `targets_gke <stack>` succeeds with `dir` as the working directory. */
function targetsGke(stack: string, dir = REPO_ROOT): boolean {
    const result = spawnSync("bash", ["-c", 'source "$1" && targets_gke "$2"', "bash", WRAPPER, stack], {
        cwd: dir,
        encoding: "utf8",
    });
    assert.equal(result.stderr, "");
    return result.status === 0;
}

describe("scripts/pulumi.sh", () => {
    const committed: [string, boolean][] = [
        ["gke", true],
        ["local", false],
        ["dev", false],
        ["no-such-stack", false],
        ["", false],
    ];
    for (const [stack, gke] of committed) {
        it(`the committed stack ${stack || "(none selected)"}: ${gke ? "on gke" : "not on gke"}`, () =>
            assert.equal(targetsGke(stack), gke));
    }

    describe("reads the stack file's target, not its name", () => {
        let dir: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-wrapper-"));
            const files: Record<string, string> = {
                mine: 'config:\n  three-tier-app:target: "gke"   # my own cluster\n',
                other: "config:\n  three-tier-app:target: gke-old\n",
                commented: "config:\n  # three-tier-app:target: gke\n  three-tier-app:target: kubeconfig\n",
                project: "config:\n  other-app:target: gke\n",
            };
            for (const [stack, text] of Object.entries(files))
                fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        const cases: [string, boolean][] = [
            ["mine", true],
            ["other", false],
            ["commented", false],
            ["project", false],
        ];
        for (const [stack, gke] of cases) it(stack, () => assert.equal(targetsGke(stack, dir), gke));
    });
});
