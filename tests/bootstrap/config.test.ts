import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
    BootstrapConfigError,
    CONFIG_KEYS,
    DEFAULTS,
    parseBootstrapConfig,
    PROJECT,
    RawBootstrapConfig,
} from "../../bootstrap/config";
import { REPO_ROOT } from "../../project";

const BOOTSTRAP_DIR = path.join(REPO_ROOT, "bootstrap");
const VALID: RawBootstrapConfig = {
    "gcp:project": "my-gcp-project",
    githubRepository: "my-org/three-tier-app",
    githubRepositoryId: "987654321",
};

function problemsOf(raw: RawBootstrapConfig): readonly string[] {
    try {
        parseBootstrapConfig(raw);
    } catch (e) {
        if (e instanceof BootstrapConfigError) return e.problems;
        throw e;
    }
    assert.fail("expected a BootstrapConfigError");
}

const REPOSITORY_PROBLEM = (got: string) =>
    `three-tier-bootstrap:githubRepository must be the GitHub repository as owner/name, such as my-org/three-tier-app (got "${got}")`;
const ID_PROBLEM = (got: string) =>
    `three-tier-bootstrap:githubRepositoryId must be the repository's numeric id, a whole number ` +
    `(gh api repos/<owner>/<name> --jq .id) (got "${got}")`;

describe("bootstrap config", () => {
    it("takes the three required values, and defaults the region and the bucket from the project", () =>
        assert.deepEqual(parseBootstrapConfig(VALID), {
            project: "my-gcp-project",
            region: "us-central1",
            stateBucket: "my-gcp-project-pulumi-state",
            github: { name: "my-org/three-tier-app", id: 987654321 },
        }));

    it("keeps a region and a bucket that are set", () => {
        const config = parseBootstrapConfig({ ...VALID, region: "europe-west1", stateBucket: "acme_state-1" });
        assert.equal(config.region, "europe-west1");
        assert.equal(config.stateBucket, "acme_state-1");
    });

    describe("required keys", () => {
        it("names a missing project, repository and id, all at once, with what each must be", () =>
            assert.deepEqual(problemsOf({}), [
                "gcp:project is required: a Google Cloud project id such as my-gcp-project",
                "three-tier-bootstrap:githubRepository is required: the GitHub repository as owner/name, such as my-org/three-tier-app",
                "three-tier-bootstrap:githubRepositoryId is required: the repository's numeric id, a whole number " +
                    "(gh api repos/<owner>/<name> --jq .id)",
            ]));

        it("treats an empty value as missing", () =>
            assert.deepEqual(problemsOf({ ...VALID, "gcp:project": "" }), [
                "gcp:project is required: a Google Cloud project id such as my-gcp-project",
            ]));

        it("says so in one error listing every problem", () =>
            assert.throws(() => parseBootstrapConfig({ ...VALID, githubRepository: undefined }), {
                name: "BootstrapConfigError",
                message:
                    "invalid bootstrap configuration:\n  - three-tier-bootstrap:githubRepository is required: " +
                    "the GitHub repository as owner/name, such as my-org/three-tier-app",
            }));
    });

    describe("refuses", () => {
        const cases: [string, RawBootstrapConfig, string][] = [
            [
                "a repository without owner",
                { githubRepository: "three-tier-app" },
                REPOSITORY_PROBLEM("three-tier-app"),
            ],
            [
                "a repository URL",
                { githubRepository: "github.com/my-org/x" },
                REPOSITORY_PROBLEM("github.com/my-org/x"),
            ],
            ["an owner starting with '-'", { githubRepository: "-org/x" }, REPOSITORY_PROBLEM("-org/x")],
            ["a repository named ..", { githubRepository: "my-org/.." }, REPOSITORY_PROBLEM("my-org/..")],
            // It is pasted between single quotes into the federation's CEL conditions.
            [
                "a quote in the name",
                { githubRepository: "my-org/x' || true || '" },
                REPOSITORY_PROBLEM("my-org/x' || true || '"),
            ],
            ["an id with letters", { githubRepositoryId: "12a" }, ID_PROBLEM("12a")],
            ["an id of 0", { githubRepositoryId: "0" }, ID_PROBLEM("0")],
            ["a negative id", { githubRepositoryId: "-5" }, ID_PROBLEM("-5")],
            ["an id past 2^53", { githubRepositoryId: "9007199254740993" }, ID_PROBLEM("9007199254740993")],
            [
                "a project id with capitals",
                { "gcp:project": "My-Project" },
                'gcp:project must be a Google Cloud project id such as my-gcp-project (got "My-Project")',
            ],
            [
                "a zone for the region",
                { region: "us-central1-a" },
                'three-tier-bootstrap:region must be a GCP region such as us-central1 (got "us-central1-a")',
            ],
            [
                "a bucket with dots",
                { stateBucket: "state.example.com" },
                "three-tier-bootstrap:stateBucket must be empty (<project>-pulumi-state) or a bucket name of 3-63 " +
                    `lowercase letters, digits, '-' and '_' (got "state.example.com")`,
            ],
        ];
        for (const [what, raw, problem] of cases) {
            it(what, () => assert.deepEqual(problemsOf({ ...VALID, ...raw }), [problem]));
        }
    });

    it("accepts the repository names GitHub allows", () => {
        for (const githubRepository of ["a/b", "My-Org/x.y_z-1", "o/.github"]) {
            assert.equal(parseBootstrapConfig({ ...VALID, githubRepository }).github.name, githubRepository);
        }
    });

    describe("bootstrap/Pulumi.yaml", () => {
        const project = parse(fs.readFileSync(path.join(BOOTSTRAP_DIR, "Pulumi.yaml"), "utf8"));
        const declared: Record<string, { type: string; default?: unknown; description: string }> = project.config;

        it("is its own project, started at its own index.ts, on the root's TypeScript settings", () => {
            assert.equal(project.name, PROJECT);
            assert.equal(project.main, "index.ts");
            assert.deepEqual(project.runtime, {
                name: "nodejs",
                options: { typescript: true, tsconfig: "../tsconfig.pulumi.json" },
            });
            assert.ok(fs.existsSync(path.join(BOOTSTRAP_DIR, project.runtime.options.tsconfig)));
        });

        it("declares every key config.ts reads, typed and described", () => {
            assert.deepEqual(Object.keys(declared).sort(), [...CONFIG_KEYS].sort());
            for (const [key, spec] of Object.entries(declared)) {
                assert.ok(["string", "integer"].includes(spec.type), `${key} has a type`);
                assert.ok(spec.description.length > 20, `${key} has a description`);
            }
            assert.equal(declared.githubRepositoryId.type, "integer");
        });

        it("gives the optional keys config.ts's defaults, and the required ones none, so the engine asks for them", () => {
            for (const [key, value] of Object.entries(DEFAULTS)) assert.equal(declared[key].default, value, key);
            assert.equal(declared.githubRepository.default, undefined);
            assert.equal(declared.githubRepositoryId.default, undefined);
        });
    });
});
