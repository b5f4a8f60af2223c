// The workflows' YAML as data, a small evaluator of the GitHub expressions they use, and the checkers
// tests/scripts/workflows.test.ts runs on them (and on small bad workflows, so that each can fail).
//
// The evaluator returns every value an expression MAY take: a repository variable may be unset, a pull
// request's head may or may not be this repository. A value the files cannot tell is OPAQUE, and a
// secret, variable or token is a marker string naming it, so a checker sees what flows where.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../project";

export const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
export const SETUP_ACTION = path.join(REPO_ROOT, ".github", "actions", "pulumi-setup", "action.yml");

export interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, unknown>;
}
interface Concurrency {
    group: string;
    "cancel-in-progress"?: boolean | string;
}
export interface Job {
    if?: string;
    needs?: string | string[];
    uses?: string;
    with?: Record<string, unknown>;
    secrets?: Record<string, string> | "inherit";
    permissions?: Record<string, string>;
    environment?: string;
    concurrency?: Concurrency;
    env?: Record<string, unknown>;
    steps?: Step[];
}
interface InputSpec {
    type?: string;
    default?: unknown;
}
export interface Workflow {
    on: Record<string, unknown> & { workflow_call?: { inputs?: Record<string, InputSpec> } };
    concurrency?: Concurrency;
    env?: Record<string, unknown>;
    jobs: Record<string, Job>;
}
export interface Action {
    runs: { steps: Step[] };
}

export const load = (file: string): Workflow => parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
export const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

/** A value the workflow files cannot tell (a pull request's head, a job's output). */
export const OPAQUE = Symbol("opaque");
type Value = boolean | string | typeof OPAQUE;
/** The values each name may take; throws for a name it does not know. */
type Context = (name: string) => readonly Value[];

/** The marker a secret, variable or token stands for in evaluated values. */
const marker = (name: string) => `⟨${name}⟩`;

/** A context of the given names, then of `rest`; any other name throws, so a new construct fails the test. */
export function contextOf(
    known: Readonly<Record<string, readonly Value[]>>,
    rest: (name: string) => readonly Value[] | undefined = () => undefined,
): Context {
    return (name) => {
        const values = known[name] ?? rest(name);
        if (values === undefined) throw new Error(`unsupported name "${name}"`);
        return values;
    };
}

/**
 * What a run's contexts hold, as far as the files tell: a repository variable is set (its marker) or not,
 * a secret and the token are their markers, everything else of a run is OPAQUE.
 */
export function runContext(name: string): readonly Value[] | undefined {
    if (name.startsWith("vars.")) return [marker(name), ""];
    if (name.startsWith("secrets.") || name === "github.token") return [marker(name)];
    if (/^(github|needs|matrix|steps|inputs|runner)\./.test(name)) return [OPAQUE];
    return undefined;
}

/** true, false, or OPAQUE when the files cannot tell. */
function truthy(value: Value): boolean | typeof OPAQUE {
    return value === OPAQUE ? OPAQUE : value !== false && value !== "";
}

const unique = (values: Value[]): Value[] => [...new Set(values)];

/**
 * Every value of `expression` (with or without `${{ }}`) in `context`: string literals, names, true/false,
 * ==, !=, !, &&, || (yielding an operand, as GitHub does), parentheses and format(). Anything else throws.
 */
export function evaluate(expression: string, context: Context): Value[] {
    const source = expression.replace(/^\s*\$\{\{/, "").replace(/\}\}\s*$/, "");
    const tokens = source.match(/'[^']*'|==|!=|&&|\|\||[()!,]|[A-Za-z_][\w.-]*|\S/g) ?? [];
    let i = 0;
    const expect = (token: string) => {
        if (tokens[i++] !== token) throw new Error(`missing ${token} in ${expression}`);
    };
    const format = (): Value[] => {
        expect("(");
        const args = [or()];
        while (tokens[i] === ",") {
            i++;
            args.push(or());
        }
        expect(")");
        const combos = args.reduce<Value[][]>(
            (prefixes, arg) => prefixes.flatMap((prefix) => arg.map((value): Value[] => [...prefix, value])),
            [[]],
        );
        return combos.map(([template, ...values]) =>
            template === OPAQUE || values.includes(OPAQUE)
                ? OPAQUE
                : String(template).replace(/\{(\d+)\}/g, (_, n: string) => String(values[Number(n)])),
        );
    };
    const primary = (): Value[] => {
        const token = tokens[i++];
        if (token === "(") {
            const values = or();
            expect(")");
            return values;
        }
        if (token === "!")
            return unique(primary().flatMap((v) => (truthy(v) === OPAQUE ? [true, false] : [!truthy(v)])));
        if (token?.startsWith("'")) return [token.slice(1, -1)];
        if (token === "true" || token === "false") return [token === "true"];
        if (token === "format" && tokens[i] === "(") return unique(format());
        if (token !== undefined && /^[A-Za-z_]/.test(token) && tokens[i] !== "(") return [...context(token)];
        throw new Error(`unsupported token "${token}" in ${expression}`);
    };
    const comparison = (): Value[] => {
        const left = primary();
        if (tokens[i] !== "==" && tokens[i] !== "!=") return left;
        const equal = tokens[i++] === "==";
        const right = primary();
        return unique(
            left.flatMap((l) =>
                right.flatMap((r) => (l === OPAQUE || r === OPAQUE ? [true, false] : [(l === r) === equal])),
            ),
        );
    };
    // && and ||: each value of the left side yields itself or every value of the right side.
    const chain = (next: () => Value[], operator: "&&" | "||") => (): Value[] => {
        let values = next();
        while (tokens[i] === operator) {
            i++;
            const right = next();
            values = unique(
                values.flatMap((v) => {
                    const t = truthy(v);
                    if (t === OPAQUE) return [v, ...right];
                    return t === (operator === "&&") ? right : [v];
                }),
            );
        }
        return values;
    };
    const and = chain(comparison, "&&");
    const or = chain(and, "||");
    const values = or();
    if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]}" in ${expression}`);
    return values;
}

/** Every value of a workflow string: literal text with any number of `${{ }}` in it, or a YAML boolean. */
export function interpolate(text: unknown, context: Context): Value[] {
    if (typeof text === "boolean") return [text];
    const source = String(text ?? "");
    const whole = /^\s*\$\{\{((?:(?!\}\}).)*)\}\}\s*$/s.exec(source);
    if (whole !== null) return evaluate(whole[1], context);
    const parts = source.split(/\$\{\{((?:(?!\}\}).)*)\}\}/s);
    return unique(
        parts.reduce<Value[]>(
            (prefixes, part, n) => {
                const values = n % 2 === 0 ? [part] : evaluate(part, context);
                return prefixes.flatMap((p) =>
                    values.map((v) => (p === OPAQUE || v === OPAQUE ? OPAQUE : `${p}${String(v)}`)),
                );
            },
            [""],
        ),
    );
}

/** Whether a job with this `if` (an expression, `${{ }}` or not) may run: unless every value of it is falsy. */
export const mayRun = (condition: string | undefined, context: Context) =>
    condition === undefined || evaluate(condition, context).some((v) => truthy(v) !== false);

/** The inputs and secrets a job passes to the reusable workflow it calls, as that workflow's context. */
function callContext(called: Workflow, job: Job, caller: Context): Context {
    const specs = called.on.workflow_call?.inputs ?? {};
    const inputs = Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [
            `inputs.${name}`,
            name in (job.with ?? {}) ? interpolate(job.with?.[name], caller) : [(spec.default ?? "") as Value],
        ]),
    );
    const secrets =
        job.secrets === "inherit"
            ? {}
            : Object.fromEntries(
                  Object.entries(job.secrets ?? {}).map(([n, v]) => [`secrets.${n}`, interpolate(v, caller)]),
              );
    return contextOf({ ...inputs, ...secrets }, (name) =>
        name.startsWith("inputs.")
            ? undefined
            : name.startsWith("secrets.") && job.secrets !== "inherit"
              ? [""]
              : runContext(name),
    );
}

/** What a pull_request-triggered job must never get. */
const FORBIDDEN_ON_PULL_REQUESTS = [
    { what: "the passphrase", name: "PULUMI_CONFIG_PASSPHRASE", value: marker("secrets.PULUMI_CONFIG_PASSPHRASE") },
    { what: "the deploy identity", name: "GCP_SERVICE_ACCOUNT", value: marker("vars.GCP_SERVICE_ACCOUNT") },
] as const;

/**
 * What the jobs a `pull_request` event runs in `file` get that they must not (FORBIDDEN_ON_PULL_REQUESTS,
 * or the production environment), followed through the reusable workflows they call with the inputs and
 * secrets they pass: one line per finding, naming the path of jobs.
 */
export function pullRequestExposures(file: string, loadWorkflow: (file: string) => Workflow): string[] {
    const workflow = loadWorkflow(file);
    if (!("pull_request" in workflow.on)) return [];
    const top = contextOf({ "github.event_name": ["pull_request"] }, runContext);
    return exposures(file, workflow, top, loadWorkflow);
}

function exposures(
    where: string,
    workflow: Workflow,
    context: Context,
    loadWorkflow: (file: string) => Workflow,
): string[] {
    const runs = (name: string): boolean => {
        const job = workflow.jobs[name];
        const needs = job.needs === undefined ? [] : [job.needs].flat();
        return needs.every(runs) && mayRun(job.if, context);
    };
    return Object.entries(workflow.jobs)
        .filter(([name]) => runs(name))
        .flatMap(([name, job]) => {
            const at = `${where} › ${name}`;
            const found: string[] = [];
            const names = [
                ...Object.keys(workflow.env ?? {}),
                ...Object.keys(job.env ?? {}),
                ...(job.steps ?? []).flatMap((s) => Object.keys(s.env ?? {})),
                ...(job.secrets === undefined || job.secrets === "inherit" ? [] : Object.keys(job.secrets)),
            ];
            const texts = [
                ...Object.values(workflow.env ?? {}),
                ...Object.values(job.env ?? {}),
                ...Object.values(job.with ?? {}),
                ...Object.values(job.secrets === undefined || job.secrets === "inherit" ? {} : job.secrets),
                ...(job.steps ?? []).flatMap((s) => [
                    ...Object.values(s.env ?? {}),
                    ...Object.values(s.with ?? {}),
                    s.run,
                ]),
            ];
            const values = texts.flatMap((t) => interpolate(t, context)).filter((v) => typeof v === "string");
            if (job.secrets === "inherit") found.push(`${at}: secrets: inherit hands it every secret`);
            for (const forbidden of FORBIDDEN_ON_PULL_REQUESTS) {
                if (names.includes(forbidden.name) || values.some((v) => v.includes(forbidden.value))) {
                    found.push(`${at}: gets ${forbidden.what} (${forbidden.name})`);
                }
            }
            if (job.environment !== undefined && interpolate(job.environment, context).includes("production")) {
                found.push(`${at}: may run in the production environment`);
            }
            if (job.uses?.startsWith("./.github/workflows/")) {
                const calledFile = path.basename(job.uses);
                const called = loadWorkflow(calledFile);
                found.push(
                    ...exposures(`${at} › ${calledFile}`, called, callContext(called, job, context), loadWorkflow),
                );
            }
            return found;
        });
}

/** Steps that install something: the setup action, actions/setup-*, npm ci/install. */
const installs = (step: Step) =>
    step.uses === "./.github/actions/pulumi-setup" ||
    /^actions\/setup-/.test(step.uses ?? "") ||
    /\bnpm (ci|install)\b/.test(step.run ?? "");

const SECRET = /\$\{\{[^}]*\b(secrets\.|github\.token\b)/;
const npmCiProblem = (step: Step) =>
    (step.run ?? "").split("\n").some((line) => /\bnpm (ci|install)\b/.test(line) && !/--ignore-scripts\b/.test(line))
        ? ["runs npm without --ignore-scripts"]
        : [];

/**
 * Install steps of a workflow that could hand a secret to code they run: a secret or the token in their
 * environment (the workflow's, the job's or their own) or inputs, or npm running packages' install scripts.
 */
export function installProblems(file: string, workflow: Workflow): string[] {
    return Object.entries(workflow.jobs).flatMap(([name, job]) =>
        (job.steps ?? []).filter(installs).flatMap((step) => {
            const env = { ...workflow.env, ...job.env, ...step.env };
            const leaked = [...Object.entries(env), ...Object.entries(step.with ?? {})]
                .filter(([, v]) => SECRET.test(String(v)))
                .map(([k]) => k);
            const at = `${file} › ${name} › ${step.name ?? step.uses ?? step.run}`;
            return [...(leaked.length > 0 ? [`gets a secret (${leaked.join(", ")})`] : []), ...npmCiProblem(step)].map(
                (p) => `${at}: ${p}`,
            );
        }),
    );
}

/**
 * The setup action's install order: npm without install scripts and without a secret, and nothing
 * installed once the Google credentials exist but gcloud itself (setup-gcloud logs in from them).
 */
export function setupProblems(action: Action): string[] {
    const steps = action.runs.steps;
    const auth = steps.findIndex((s) => s.uses?.startsWith("google-github-actions/auth@"));
    const problems = steps.flatMap((step) => {
        const at = step.name ?? step.uses ?? step.run;
        const leaked = Object.entries(step.env ?? {}).filter(([, v]) => SECRET.test(String(v)));
        return [
            ...npmCiProblem(step).map((p) => `${at}: ${p}`),
            ...(leaked.length > 0 ? [`${at}: gets a secret (${leaked.map(([k]) => k).join(", ")})`] : []),
        ];
    });
    if (auth === -1) return [...problems, "no google-github-actions/auth step"];
    const afterAuth = steps.slice(auth + 1).filter((s) => !s.uses?.startsWith("google-github-actions/setup-gcloud@"));
    return [...problems, ...afterAuth.map((s) => `${s.name ?? s.uses ?? s.run}: runs after the credentials exist`)];
}

/** The concurrency group and cancel-in-progress of each job of `workflow` that may run `operation`. */
export function concurrencyOf(workflow: Workflow, operation: string): { group: Value[]; cancels: boolean }[] {
    const context = contextOf({
        "inputs.operation": [operation],
        "inputs.stack": ["S"],
        "inputs.review": [true, false],
        "github.ref": ["refs/pull/1/merge"],
    });
    return Object.values(workflow.jobs)
        .filter((job) => mayRun(job.if, context))
        .map((job) => ({
            group: interpolate(job.concurrency?.group, context),
            cancels: interpolate(job.concurrency?.["cancel-in-progress"] ?? false, context).some(
                (v) => truthy(v) !== false,
            ),
        }));
}

/** Each of these operations runs in one job, in the stack's update group, which nothing cancels. */
export function updateGroupProblems(workflow: Workflow, operations: readonly string[]): string[] {
    return operations.flatMap((operation) => {
        const jobs = concurrencyOf(workflow, operation);
        if (jobs.length !== 1) return [`${operation} runs in ${jobs.length} jobs`];
        const [{ group, cancels }] = jobs;
        return [
            ...(group.length === 1 && group[0] === "pulumi-S-update"
                ? []
                : [`${operation} runs in group ${group.map(String).join(" or ")}, not pulumi-S-update`]),
            ...(cancels ? [`${operation} may be cancelled by a newer run`] : []),
        ];
    });
}
