// The workflows' safety properties, read from the YAML itself: an update or destroy is never cancelled and
// a drift check never runs beside one, the stale-lock recovery runs only where the concurrency group proves
// a CI lock stale, previews may be cancelled, fork pull requests get nothing, no pull request reaches the
// passphrase or the deploy identity, installs run without secrets or install scripts, one place for the
// Pulumi CLI version, current action majors. The evaluator and checkers: tests/helpers/workflows.ts.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { OPERATIONS } from "../../tools/pipeline/commands";
import {
    Action,
    concurrencyOf,
    contextOf,
    evaluate,
    files,
    installProblems,
    interpolate,
    Job,
    load,
    mayRun,
    OPAQUE,
    pullRequestExposures,
    runContext,
    SETUP_ACTION,
    setupProblems,
    Step,
    updateGroupProblems,
    Workflow,
    WORKFLOWS,
} from "../helpers/workflows";
import { REPO_ROOT } from "../../project";

const STACK_WORKFLOW = "./.github/workflows/pulumi-stack.yml";
const CHANGING = ["up", "destroy"];

const operationContext = (operation: string) => contextOf({ "inputs.operation": [operation] });

/** The operations a job calling pulumi-stack.yml may pass: a literal, or every operation for an expression. */
function operationsPassed(job: Job): string[] {
    const value = String(job.with?.operation ?? "");
    return value.includes("${{") ? [...OPERATIONS] : [value];
}

describe("workflows", () => {
    describe("the expression evaluator", () => {
        it("handles what the workflows use", () => {
            assert.deepEqual(evaluate("${{ inputs.operation == 'preview' }}", operationContext("preview")), [true]);
            assert.deepEqual(
                evaluate("inputs.operation == 'up' || inputs.operation == 'destroy'", operationContext("destroy")),
                [true],
            );
            assert.deepEqual(
                evaluate("(inputs.operation != 'up') && inputs.operation != 'destroy'", operationContext("up")),
                [false],
            );
            assert.deepEqual(evaluate("!(inputs.operation == 'up')", operationContext("up")), [false]);
            assert.deepEqual(
                interpolate("pulumi-${{ format('{0}-{1}', inputs.operation, 'x') }}", operationContext("drift")),
                ["pulumi-drift-x"],
            );
        });
        it("yields every value an unset variable or an unknown run value allows", () => {
            const review = (value: boolean) => contextOf({ "inputs.review": [value] }, runContext);
            const account = "inputs.review && vars.REVIEW || vars.DEPLOY";
            // An unset REVIEW falls through to DEPLOY: the evaluator must say so.
            assert.deepEqual(evaluate(account, review(true)), ["⟨vars.REVIEW⟩", "⟨vars.DEPLOY⟩", ""]);
            assert.deepEqual(evaluate("inputs.review && 'a' || 'b'", review(true)), ["a"]);
            assert.deepEqual(evaluate("github.repository == 'x'", review(true)), [true, false]);
            assert.deepEqual(evaluate("format('{0}', github.event.number)", review(true)), [OPAQUE]);
        });
        it("refuses the rest", () => {
            assert.throws(() => evaluate("github.ref == 'x'", operationContext("up")), {
                message: 'unsupported name "github.ref"',
            });
            assert.throws(() => evaluate("fromJSON(vars.X)", contextOf({}, runContext)), {
                message: 'unsupported token "fromJSON" in fromJSON(vars.X)',
            });
        });
    });

    describe("pulumi-stack.yml", () => {
        const stackWorkflow = load("pulumi-stack.yml");
        const jobs = Object.entries(stackWorkflow.jobs);
        const runs = (job: Job, operation: string) => mayRun(job.if, operationContext(operation));

        for (const operation of OPERATIONS) {
            it(`${operation} runs in exactly one job`, () =>
                assert.equal(jobs.filter(([, job]) => runs(job, operation)).length, 1));
        }

        it("an update or destroy is never cancelled, and a drift check queues with them in the stack's update group", () =>
            assert.deepEqual(updateGroupProblems(stackWorkflow, [...CHANGING, "drift"]), []));

        it("the update-group check fails a drift check in a group of its own, or one that may be cancelled", () => {
            const bad: Workflow = {
                on: {},
                jobs: {
                    read: {
                        if: "inputs.operation == 'drift'",
                        concurrency: {
                            group: "pulumi-${{ inputs.stack }}-${{ inputs.operation }}-${{ github.ref }}",
                            "cancel-in-progress": "${{ inputs.operation == 'drift' }}",
                        },
                    },
                    apply: {
                        if: "inputs.operation == 'up' || inputs.operation == 'drift'",
                        concurrency: { group: "pulumi-${{ inputs.stack }}-update" },
                    },
                },
            };
            assert.deepEqual(updateGroupProblems(bad, ["up", "drift"]), ["drift runs in 2 jobs"]);
            delete bad.jobs.apply;
            assert.deepEqual(updateGroupProblems(bad, ["drift"]), [
                "drift runs in group pulumi-S-drift-refs/pull/1/merge, not pulumi-S-update",
                "drift may be cancelled by a newer run",
            ]);
        });

        it("a preview may be cancelled by a newer one of the same ref", () => {
            const [{ group, cancels }] = concurrencyOf(stackWorkflow, "preview");
            assert.equal(cancels, true);
            assert.deepEqual(group, ["pulumi-S-preview-refs/pull/1/merge"]);
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

        it("every job selects its stack through pipeline select, so a backend error fails it", () => {
            for (const [name, job] of jobs) {
                const runsPulumi = (job.steps ?? []).filter((s) => /pipeline -- (run|recover)/.test(s.run ?? ""));
                assert.ok(runsPulumi.length > 0, name);
                const select = (job.steps ?? []).find((s) => /pipeline -- select/.test(s.run ?? ""));
                assert.match(select?.run ?? "", /--stack "\$STACK" --operation "\$OPERATION"/, name);
                assert.doesNotMatch(JSON.stringify(job.steps), /pulumi stack (select|init)/, name);
            }
        });

        it("new stacks get their Cloud KMS key, and every job reads a stack's key from its state", () => {
            for (const [name, job] of jobs) {
                assert.equal(job.env?.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER, "true", name);
            }
            const select = stackWorkflow.jobs.apply.steps?.find((s) => /pipeline -- select/.test(s.run ?? ""));
            assert.deepEqual(
                { GKE: select?.env?.GKE_SECRETS_PROVIDER, REVIEW: select?.env?.REVIEW_SECRETS_PROVIDER },
                { GKE: "${{ vars.GKE_SECRETS_PROVIDER }}", REVIEW: "${{ vars.REVIEW_SECRETS_PROVIDER }}" },
            );
            assert.match(select?.run ?? "", /--review "\$REVIEW"/);
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
        const stackFile = parse(
            fs.readFileSync(path.join(REPO_ROOT, ".github", "review-stack", "Pulumi.template.yaml"), "utf8"),
        );
        const template = stackFile.config;
        const setup: Action = parse(fs.readFileSync(SETUP_ACTION, "utf8"));
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

        it("the template names no key: each run would otherwise make a new one, and the state has the stack's", () =>
            assert.deepEqual(Object.keys(stackFile), ["config"]));

        it("no workflow fetches cluster credentials or writes a kubeconfig", () => {
            for (const file of files) {
                const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
                assert.doesNotMatch(text, /get-credentials|KUBECONFIG|clusters list/, file);
            }
        });

        it("the apply job renders the review config from gke's fully qualified stack name, before selecting it", () => {
            const render = applySteps.findIndex((s) => /pipeline -- review-config/.test(s.run ?? ""));
            const select = applySteps.findIndex((s) => /pipeline -- select/.test(s.run ?? ""));
            assert.ok(render !== -1 && render < select, `render ${render}, select ${select}`);
            const script = applySteps[render].run ?? "";
            assert.match(script, /pulumi stack --show-name --fully-qualify-stack-names --stack gke/);
            assert.match(script, /review-config --stack "\$STACK" --cluster-stack "\$cluster_stack"/);
        });

        it("the runner keeps an identity and gke-gcloud-auth-plugin: gke's kubeconfig runs the plugin", () => {
            const step = applySteps.find((s) => s.uses === "./.github/actions/pulumi-setup");
            assert.equal(step?.with?.["workload-identity-provider"], "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}");
            const gcloud = setup.runs.steps.find((s) => s.uses?.startsWith("google-github-actions/setup-gcloud@"));
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

    describe("no pull request reaches the passphrase or the deploy identity", () => {
        it("no workflow mentions the passphrase: CI's stacks use Cloud KMS keys", () => {
            for (const file of [...files.map((f) => path.join(WORKFLOWS, f)), SETUP_ACTION]) {
                assert.doesNotMatch(fs.readFileSync(file, "utf8"), /PASSPHRASE/, path.basename(file));
            }
        });

        for (const file of files) {
            it(`${file}: through the reusable workflows it calls too`, () =>
                assert.deepEqual(pullRequestExposures(file, load), []));
        }

        // A pull-request workflow calling a reusable one as review-stacks.yml does, with each mistake once.
        const caller = (job: Partial<Job>): Workflow => ({
            on: { pull_request: {} },
            jobs: {
                decide: { steps: [] },
                up: { needs: "decide", uses: STACK_WORKFLOW, with: { review: true }, ...job },
            },
        });
        const called = (account: string, extra: Partial<Job> = {}): Workflow => ({
            on: { workflow_call: { inputs: { review: { type: "boolean", default: false } } } },
            jobs: {
                apply: {
                    environment: "${{ inputs.review && 'review' || 'production' }}",
                    steps: [{ uses: "./.github/actions/pulumi-setup", with: { "service-account": account } }],
                    ...extra,
                },
            },
        });
        const SAFE =
            "${{ inputs.review && vars.GCP_REVIEW_SERVICE_ACCOUNT || !inputs.review && vars.GCP_SERVICE_ACCOUNT || '' }}";
        const check = (top: Workflow, reusable: Workflow) =>
            pullRequestExposures("top.yml", (f) => (f === "top.yml" ? top : reusable));

        it("the check passes a review-only call", () => assert.deepEqual(check(caller({}), called(SAFE)), []));
        it("the check fails the passphrase passed as a secret and used in the called job", () =>
            assert.deepEqual(
                check(
                    caller({ secrets: { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" } }),
                    called(SAFE, { env: { PASSWORD: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" } }),
                ),
                [
                    "top.yml › up: gets the passphrase (PULUMI_CONFIG_PASSPHRASE)",
                    "top.yml › up › pulumi-stack.yml › apply: gets the passphrase (PULUMI_CONFIG_PASSPHRASE)",
                ],
            ));
        it("the check fails secrets: inherit", () =>
            assert.deepEqual(check(caller({ secrets: "inherit" }), called(SAFE)), [
                "top.yml › up: secrets: inherit hands it every secret",
            ]));
        it("the check fails an identity that falls through to the deploy account when the review one is unset", () =>
            assert.deepEqual(
                check(
                    caller({}),
                    called("${{ inputs.review && vars.GCP_REVIEW_SERVICE_ACCOUNT || vars.GCP_SERVICE_ACCOUNT }}"),
                ),
                ["top.yml › up › pulumi-stack.yml › apply: gets the deploy identity (GCP_SERVICE_ACCOUNT)"],
            ));
        it("the check fails a call without review: true (the production environment, the deploy identity)", () =>
            assert.deepEqual(check(caller({ with: {} }), called(SAFE)), [
                "top.yml › up › pulumi-stack.yml › apply: gets the deploy identity (GCP_SERVICE_ACCOUNT)",
                "top.yml › up › pulumi-stack.yml › apply: may run in the production environment",
            ]));
        it("the check skips jobs a pull request never runs", () => {
            const top = caller({ secrets: { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" } });
            top.jobs.decide.if = "github.event_name != 'pull_request'";
            assert.deepEqual(check(top, called(SAFE)), []);
        });
    });

    describe("installs run without secrets and without install scripts", () => {
        const setup: Action = parse(fs.readFileSync(SETUP_ACTION, "utf8"));

        for (const file of files) {
            it(file, () => assert.deepEqual(installProblems(file, load(file)), []));
        }
        it("the setup action: npm ci --ignore-scripts, every install before the credentials", () =>
            assert.deepEqual(setupProblems(setup), []));

        it("the checks fail a secret in a setup step's environment, and npm running install scripts", () => {
            const bad: Workflow = {
                on: {},
                env: { TOKEN: "${{ github.token }}" },
                jobs: {
                    job: {
                        env: { PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}" },
                        steps: [
                            { uses: "./.github/actions/pulumi-setup" },
                            { name: "deps", run: "npm ci --no-audit" },
                            { name: "pulumi", run: "pulumi preview" },
                        ],
                    },
                },
            };
            assert.deepEqual(installProblems("bad.yml", bad), [
                "bad.yml › job › ./.github/actions/pulumi-setup: gets a secret (TOKEN, PULUMI_BACKEND_URL)",
                "bad.yml › job › deps: gets a secret (TOKEN, PULUMI_BACKEND_URL)",
                "bad.yml › job › deps: runs npm without --ignore-scripts",
            ]);
        });
        it("the checks fail an install after the credentials, and a secret in the npm step", () => {
            const steps: Step[] = [
                { uses: "google-github-actions/auth@v3" },
                { name: "npm", run: "npm ci --ignore-scripts", env: { NPM_TOKEN: "${{ secrets.NPM_TOKEN }}" } },
                { uses: "google-github-actions/setup-gcloud@v3" },
            ];
            assert.deepEqual(setupProblems({ runs: { steps } }), [
                "npm: gets a secret (NPM_TOKEN)",
                "npm: runs after the credentials exist",
            ]);
        });

        it("the Pulumi plugins are cached, keyed on package-lock.json", () => {
            const cache = setup.runs.steps.find((s) => s.uses?.startsWith("actions/cache@"));
            assert.equal(cache?.with?.path, "~/.pulumi/plugins");
            assert.match(String(cache?.with?.key), /hashFiles\('package-lock\.json'\)/);
        });
    });

    describe("tool versions", () => {
        const yamlFiles = [...files.map((f) => path.join(WORKFLOWS, f)), SETUP_ACTION];
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
