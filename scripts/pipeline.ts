// Entry point of the CI steps that need more than a shell line: it parses the arguments and calls the step
// in tools/pipeline/steps/, which does the I/O (the pulumi and gcloud CLIs, the GitHub API, the job's files)
// around the decisions of tools/pipeline/*.ts (unit-tested).
//
//   npm run --silent pipeline -- <command> [--name value ...]   (package.json: ts-node --transpile-only)
//
//   review-decision                        pull_request event → outputs action (up|destroy|none), stack
//   review-sweep [--only S]                review stacks whose pull request is closed/unlabelled (or S) → output stacks
//   review-config --stack S --cluster-stack O/P/S
//                                          Pulumi.<S>.yaml from .github/review-stack/Pulumi.template.yaml
//   select --stack S --operation O [--review true]
//                                          pulumi stack select → output exists; an up creates a missing stack
//                                          with its Cloud KMS key; a backend error fails the step
//   recover --stack S                      stale lock of a cancelled run → pulumi cancel; pending operations → refresh
//   run --stack S --operation preview|up|destroy|drift [--pull-request N] [--remove true]
//                                          runs pulumi; job summary; the pull request's one comment for S
//                                          (edited in place); drift: opens/updates/closes the one drift issue
//
// Environment: what GitHub Actions sets (GITHUB_*), PULUMI_BACKEND_URL, GITHUB_TOKEN for the API, and
// for `select` the Cloud KMS keys of new stacks (GKE_SECRETS_PROVIDER, REVIEW_SECRETS_PROVIDER).
import { operation } from "../tools/pipeline/commands";
import { recoverStep } from "../tools/pipeline/steps/recover";
import { reviewConfigStep, reviewDecisionStep, reviewSweepStep } from "../tools/pipeline/steps/review";
import { runStep } from "../tools/pipeline/steps/run";
import { selectStep } from "../tools/pipeline/steps/select";

function options(argv: readonly string[]): Map<string, string> {
    const result = new Map<string, string>();
    for (let i = 0; i < argv.length; i += 2) {
        const [name, value] = [argv[i], argv[i + 1]];
        if (!name.startsWith("--") || value === undefined) throw new Error(`expected --name value, got "${name}"`);
        result.set(name.slice(2), value);
    }
    return result;
}

const required = (opts: Map<string, string>, name: string): string => {
    const value = opts.get(name);
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
};

async function main(argv: readonly string[]): Promise<number> {
    const [command, ...rest] = argv;
    const opts = options(rest);
    switch (command) {
        case "review-decision":
            return reviewDecisionStep();
        case "review-sweep":
            return reviewSweepStep(opts.get("only") ?? "");
        case "review-config":
            return reviewConfigStep(required(opts, "stack"), required(opts, "cluster-stack"));
        case "select":
            return selectStep(
                required(opts, "stack"),
                operation(required(opts, "operation")),
                opts.get("review") === "true",
            );
        case "recover":
            return recoverStep(required(opts, "stack"));
        case "run":
            return runStep({
                stack: required(opts, "stack"),
                op: operation(required(opts, "operation")),
                pullRequest: opts.get("pull-request") ?? "",
                remove: opts.get("remove") === "true",
            });
        default:
            throw new Error(`unknown command "${command ?? ""}"`);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e) => {
            console.error((e as Error).message);
            process.exitCode = 1;
        },
    );
}
