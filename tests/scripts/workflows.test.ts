// The workflows' safety properties, read from the YAML itself: an update or destroy is never cancelled,
// the stale-lock recovery runs only where the concurrency group proves a CI lock stale, previews may be
// cancelled, fork pull requests get nothing, one place for the Pulumi CLI version, current action majors.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { OPERATIONS } from "../../tools/pipeline/commands";

const REPO_ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const STACK_WORKFLOW = "./.github/workflows/pulumi-stack.yml";
const CHANGING = ["up", "destroy"];

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}
interface Job {
    if?: string;
    needs?: string | string[];
    uses?: string;
    with?: Record<string, unknown>;
    secrets?: unknown;
    permissions?: Record<string, string>;
    environment?: string;
    concurrency?: { group: string; "cancel-in-progress"?: boolean | string };
    steps?: Step[];
}
interface Workflow {
    on: Record<string, unknown>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean | string };
    jobs: Record<string, Job>;
}

const load = (file: string): Workflow => parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

const truthy = (value: boolean | string) => value !== false && value !== "";

/**
 * Evaluates the small part of the GitHub expression language these workflows use on inputs.operation:
 * string literals, inputs.operation, ==, !=, &&, ||, parentheses, true/false. Anything else throws, so
 * a new construct fails the test instead of being guessed.
 */
function evaluate(expression: string, operation: string): boolean | string {
    const source = expression.replace(/^\s*\$\{\{/, "").replace(/\}\}\s*$/, "");
    const tokens = source.match(/'[^']*'|==|!=|&&|\|\||[()]|[A-Za-z_][\w.-]*|\S/g) ?? [];
    let i = 0;
    const primary = (): boolean | string => {
        const token = tokens[i++];
        if (token === "(") {
            const value = or();
            if (tokens[i++] !== ")") throw new Error(`missing ) in ${expression}`);
            return value;
        }
        if (token?.startsWith("'")) return token.slice(1, -1);
        if (token === "inputs.operation") return operation;
        if (token === "true" || token === "false") return token === "true";
        throw new Error(`unsupported token "${token}" in ${expression}`);
    };
    const comparison = (): boolean | string => {
        const left = primary();
        if (tokens[i] === "==" || tokens[i] === "!=") {
            const op = tokens[i++];
            const right = primary();
            return op === "==" ? left === right : left !== right;
        }
        return left;
    };
    // && and ||: left to right, yielding an operand as GitHub does.
    const chain = (next: () => boolean | string, operator: "&&" | "||") => (): boolean | string => {
        let value = next();
        while (tokens[i] === operator) {
            i++;
            const right = next();
            value = truthy(value) === (operator === "&&") ? right : value;
        }
        return value;
    };
    const and = chain(comparison, "&&");
    const or = chain(and, "||");
    const value = or();
    if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]}" in ${expression}`);
    return value;
}

const cancels = (setting: boolean | string | undefined, operation: string) =>
    setting !== undefined && truthy(typeof setting === "boolean" ? setting : evaluate(setting, operation));

/** The operations a job calling pulumi-stack.yml may pass: a literal, or every operation for an expression. */
function operationsPassed(job: Job): string[] {
    const value = String(job.with?.operation ?? "");
    return value.includes("${{") ? [...OPERATIONS] : [value];
}

describe("workflows", () => {
    it("the expression evaluator handles what the workflows use, and refuses the rest", () => {
        assert.equal(evaluate("${{ inputs.operation == 'preview' }}", "preview"), true);
        assert.equal(evaluate("inputs.operation == 'up' || inputs.operation == 'destroy'", "destroy"), true);
        assert.equal(evaluate("(inputs.operation != 'up') && inputs.operation != 'destroy'", "up"), false);
        assert.throws(() => evaluate("github.ref == 'x'", "up"), { message: /unsupported token "github.ref"/ });
    });

    describe("pulumi-stack.yml", () => {
        const jobs = Object.entries(load("pulumi-stack.yml").jobs);
        const runs = (job: Job, operation: string) => job.if === undefined || truthy(evaluate(job.if, operation));

        for (const operation of OPERATIONS) {
            it(`${operation} runs in exactly one job`, () =>
                assert.equal(jobs.filter(([, job]) => runs(job, operation)).length, 1));
        }

        for (const operation of CHANGING) {
            it(`${operation} is never cancelled, and queues behind any other update or destroy of the stack`, () => {
                for (const [name, job] of jobs.filter(([, j]) => runs(j, operation))) {
                    assert.equal(
                        cancels(job.concurrency?.["cancel-in-progress"], operation),
                        false,
                        `${name} cancels ${operation}`,
                    );
                    // One group for both operations of a stack: no ref, no operation in its name.
                    assert.equal(job.concurrency?.group, "pulumi-${{ inputs.stack }}-update", name);
                }
            });
        }

        it("a preview may be cancelled by a newer one of the same ref", () => {
            const [[, job]] = jobs.filter(([, j]) => runs(j, "preview"));
            assert.equal(cancels(job.concurrency?.["cancel-in-progress"], "preview"), true);
            assert.match(job.concurrency?.group ?? "", /github\.ref/);
        });

        it("the stale-lock recovery runs only in the update group, before the operation", () => {
            for (const [name, job] of jobs) {
                const steps = (job.steps ?? []).map((s) => s.run ?? "");
                const recover = steps.findIndex((r) => r.includes("pipeline -- recover"));
                const operation = steps.findIndex((r) => r.includes("pipeline -- run"));
                const updates = CHANGING.some((op) => runs(job, op));
                assert.equal(recover !== -1, updates, `${name}: recover step iff the job updates`);
                if (updates) {
                    assert.ok(recover < operation, `${name}: recover after the operation`);
                    assert.equal(job.concurrency?.["cancel-in-progress"], false);
                }
            }
        });

        it("changes run behind a protected environment; reads use the preview identity and none", () => {
            for (const [name, job] of jobs) {
                const setup = (job.steps ?? []).find((s) => s.uses === "./.github/actions/pulumi-setup");
                const account = String(setup?.with?.["service-account"] ?? "");
                if (CHANGING.some((op) => runs(job, op))) {
                    assert.equal(job.environment, "${{ inputs.review && 'review' || 'production' }}", name);
                    assert.doesNotMatch(account, /PREVIEW/, name);
                } else {
                    assert.equal(job.environment, undefined, name);
                    assert.equal(account, "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}", name);
                }
            }
        });
    });

    describe("the pipeline entry point", () => {
        const runLines = files.flatMap((file) =>
            Object.values(load(file).jobs)
                .flatMap((job) => job.steps ?? [])
                .flatMap((step) => (step.run ?? "").split("\n").map((line) => ({ file, line }))),
        );
        const source = fs.readFileSync(path.join(REPO_ROOT, "scripts", "pipeline.ts"), "utf8");

        it("is the package.json script pipeline, which runs scripts/pipeline.ts", () => {
            const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts;
            assert.equal(scripts.pipeline, "ts-node --transpile-only scripts/pipeline.ts");
        });

        it("is called by the workflows only as npm run --silent pipeline -- <a command it knows>", () => {
            const calls = runLines.filter(({ line }) => /pipeline/.test(line));
            assert.ok(calls.length >= 5, `${calls.length} calls`);
            for (const { file, line } of calls) {
                const command = /^\s*npm run --silent pipeline -- ([a-z-]+)/.exec(line)?.[1];
                assert.ok(command !== undefined, `${file}: ${line.trim()}`);
                assert.ok(source.includes(`case "${command}":`), `${file}: scripts/pipeline.ts has no ${command}`);
            }
        });
    });

    describe("review stacks find gke's cluster through a StackReference", () => {
        const template = parse(
            fs.readFileSync(path.join(REPO_ROOT, ".github", "review-stack", "Pulumi.template.yaml"), "utf8"),
        ).config;
        const setup = parse(
            fs.readFileSync(path.join(REPO_ROOT, ".github", "actions", "pulumi-setup", "action.yml"), "utf8"),
        );
        const apply = load("pulumi-stack.yml").jobs.apply;
        const applySteps = apply.steps ?? [];

        it("the template's target is stack, on gke's stack, with no kubeconfig of its own", () => {
            assert.equal(template["three-tier-app:target"], "stack");
            assert.equal(template["three-tier-app:clusterStack"], "${CLUSTER_STACK}");
            assert.deepEqual(
                Object.keys(template).filter((k) => /kube/i.test(k)),
                [],
            );
        });

        it("no workflow fetches cluster credentials or writes a kubeconfig", () => {
            for (const file of files) {
                const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
                assert.doesNotMatch(text, /get-credentials|KUBECONFIG|clusters list/, file);
            }
        });

        it("the apply job renders the review config from gke's fully qualified stack name, before selecting it", () => {
            const render = applySteps.findIndex((s) => /pipeline -- review-config/.test(s.run ?? ""));
            const select = applySteps.findIndex((s) => /pulumi stack select/.test(s.run ?? ""));
            assert.ok(render !== -1 && render < select, `render ${render}, select ${select}`);
            const script = applySteps[render].run ?? "";
            assert.match(script, /pulumi stack --show-name --fully-qualify-stack-names --stack gke/);
            assert.match(script, /review-config --stack "\$STACK" --cluster-stack "\$cluster_stack"/);
        });

        it("the runner keeps an identity and gke-gcloud-auth-plugin: gke's kubeconfig runs the plugin", () => {
            const step = applySteps.find((s) => s.uses === "./.github/actions/pulumi-setup");
            assert.equal(step?.with?.["workload-identity-provider"], "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}");
            const gcloud = (setup.runs.steps as Step[]).find((s) =>
                s.uses?.startsWith("google-github-actions/setup-gcloud@"),
            );
            assert.equal(gcloud?.with?.install_components, "gke-gcloud-auth-plugin");
        });
    });

    for (const file of files.filter((f) => f !== "pulumi-stack.yml")) {
        describe(file, () => {
            const workflow = load(file);
            const calls = Object.entries(workflow.jobs).filter(([, job]) => job.uses === STACK_WORKFLOW);
            const changing = calls.filter(([, job]) => operationsPassed(job).some((op) => CHANGING.includes(op)));

            it("does not cancel a run that may update or destroy a stack", () => {
                if (changing.length === 0) return;
                const setting = workflow.concurrency?.["cancel-in-progress"];
                assert.ok(setting === undefined || setting === false, `workflow-level cancel-in-progress: ${setting}`);
            });

            it("runs pull request code against review stacks only, never a fork's", () => {
                assert.equal("pull_request_target" in workflow.on, false, "pull_request_target runs with secrets");
                if (!("pull_request" in workflow.on)) return;
                // A job is safe when it, or every job it needs, skips forks' pull requests (or all pull requests).
                const guards = [
                    "github.event.pull_request.head.repo.full_name == github.repository",
                    "github.event_name != 'pull_request'",
                ];
                const guarded = (name: string): boolean => {
                    const job = workflow.jobs[name];
                    if (guards.some((g) => (job.if ?? "").includes(g))) return true;
                    const needs = job.needs === undefined ? [] : [job.needs].flat();
                    return needs.length > 0 && needs.every(guarded);
                };
                for (const [name, job] of Object.entries(workflow.jobs)) {
                    const privileged = job.secrets !== undefined || job.permissions?.["id-token"] === "write";
                    if (privileged) assert.ok(guarded(name), `${name} gets secrets on a fork's pull request`);
                }
                for (const [name, job] of changing)
                    assert.equal(job.with?.review, true, `${name} changes a non-review stack`);
            });
        });
    }

    describe("tool versions", () => {
        const yamlFiles = [
            ...files.map((f) => path.join(WORKFLOWS, f)),
            path.join(REPO_ROOT, ".github", "actions", "pulumi-setup", "action.yml"),
        ];
        const steps = yamlFiles.flatMap((file) => {
            const doc = parse(fs.readFileSync(file, "utf8"));
            const all: Step[] =
                doc.runs?.steps ?? Object.values(doc.jobs as Record<string, Job>).flatMap((j) => j.steps ?? []);
            return all.map((step) => ({ file: path.basename(file), step }));
        });

        it("installs the Pulumi CLI from .pulumi-version only", () => {
            const installs = steps.filter(({ step }) => step.uses?.startsWith("pulumi/actions@"));
            assert.ok(installs.length > 0);
            for (const { file, step } of installs) {
                assert.deepEqual(step.with, { "pulumi-version-file": ".pulumi-version" }, file);
            }
        });

        it("scripts/toolchain.sh builds the version in .pulumi-version", () => {
            const version = fs.readFileSync(path.join(REPO_ROOT, ".pulumi-version"), "utf8").trim();
            assert.match(version, /^\d+\.\d+\.\d+$/);
            const pins = execFileSync(path.join(REPO_ROOT, "scripts", "toolchain.sh"), ["versions"], {
                encoding: "utf8",
            });
            assert.match(pins, new RegExp(`^pins: +pulumi ${version.replace(/\./g, "\\.")},`, "m"));
        });

        // The newest majors confirmed on 2026-12-01 (release notes and bump pull requests); all run on Node 24.
        const MAJORS: Record<string, number> = {
            "actions/checkout": 7,
            "actions/setup-node": 7,
            "actions/setup-go": 6,
            "actions/cache": 5,
            "google-github-actions/auth": 3,
            "google-github-actions/setup-gcloud": 3,
            "pulumi/actions": 7,
        };
        it("uses only known actions, at their current majors", () => {
            const used = steps.filter(({ step }) => step.uses !== undefined && !step.uses.startsWith("./"));
            assert.ok(used.length > 0);
            for (const { file, step } of used) {
                const [action, ref] = (step.uses as string).split("@");
                assert.ok(action in MAJORS, `${file}: ${action} is not in the reviewed list`);
                assert.equal(ref, `v${MAJORS[action]}`, `${file}: ${step.uses}`);
            }
        });
    });
});
