// Review stacks from the command line: the stack pr-<number> of a pull request, as review-stacks.yml makes
// it (tools/pipeline/review-stack-command.ts), in the cluster of a stack that hosts review stacks.
//
//   eval "$(scripts/toolchain.sh env)"        # pulumi on PATH, backend and passphrase
//   npm run review-stack -- preview|up|destroy <pull request number> [--cluster-stack <stack>]
import { ReviewStackOperation, reviewStackCommand } from "../tools/pipeline/review-stack-command";

const OPERATIONS: readonly ReviewStackOperation[] = ["preview", "up", "destroy"];

export const USAGE = [
    "usage: review-stack <preview|up|destroy> <pull request number> [--cluster-stack <stack>]",
    "  preview, up   stack pr-<number> from .github/review-stack/Pulumi.template.yaml (created when missing),",
    "                in the cluster of <stack> (default gke), under the policy pack",
    "  destroy       pulumi destroy --remove, then report what is left in namespace pr-<number>",
].join("\n");

export interface Invocation {
    readonly op: ReviewStackOperation;
    readonly pullRequest: number;
    /** The stack whose cluster hosts the review stack. */
    readonly clusterStack: string;
}

/** Parses `<operation> <number> [--cluster-stack S]`; throws the problem and the usage. */
export function parseArgs(argv: readonly string[]): Invocation {
    const [op, number, ...rest] = argv;
    const refuse = (problem: string) => new Error(`${problem}\n${USAGE}`);
    if (!(OPERATIONS as readonly string[]).includes(op ?? "")) throw refuse(`unknown operation "${op ?? ""}"`);
    if (!/^[1-9][0-9]*$/.test(number ?? "")) throw refuse(`${op} needs a pull request number, got "${number ?? ""}"`);
    let clusterStack = "gke";
    if (rest.length > 0) {
        if (rest[0] !== "--cluster-stack" || rest.length !== 2 || rest[1].startsWith("--")) {
            throw refuse(`unexpected arguments "${rest.join(" ")}"`);
        }
        clusterStack = rest[1];
    }
    return { op: op as ReviewStackOperation, pullRequest: Number(number), clusterStack };
}

/** Exit code 2 on a usage error, before anything runs. */
export async function main(argv: readonly string[]): Promise<number> {
    let invocation: Invocation;
    try {
        invocation = parseArgs(argv);
    } catch (e) {
        console.error((e as Error).message);
        return 2;
    }
    return reviewStackCommand(invocation.op, invocation.pullRequest, invocation.clusterStack);
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
