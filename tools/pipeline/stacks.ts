// Selecting the stack a CI job works on, and creating it on its first `up`. `pulumi stack select` either
// finds the stack, says it does not exist, or cannot read the backend (credentials, bucket, network).
// Only "does not exist" means "nothing to do": an auth or bucket error read the same way would skip a
// preview, a drift check or a destroy and still pass. Called by steps/select.ts (`pipeline select`); pure, so
// tests call it directly.
import { Operation } from "./commands";

/** The CLI's exit code for a stack it cannot find (pkg/cmd/pulumi/cmd/exit_codes.go, part of its contract). */
const EXIT_STACK_NOT_FOUND = 6;

/** What `pulumi stack select <stack>` did. */
export interface SelectResult {
    readonly status: number;
    /** Its stdout and stderr. */
    readonly output: string;
}

type Selection =
    | { readonly action: "selected" }
    | { readonly action: "create" }
    | { readonly action: "absent"; readonly message: string }
    | { readonly action: "fail"; readonly message: string; readonly error: string };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * What a job does after `pulumi stack select`: go on, create the stack (an `up` only), report that there
 * is nothing to do, or fail with the CLI's error. "Absent" needs both the not-found exit code and the
 * CLI's message naming this stack (short or fully qualified); anything else is a failure.
 */
export function selectDecision(stack: string, op: Operation, result: SelectResult): Selection {
    if (result.status === 0) return { action: "selected" };
    const notFound = new RegExp(`no stack named '(?:[^'/]+/){0,2}${escape(stack)}' found`);
    if (result.status !== EXIT_STACK_NOT_FOUND || !notFound.test(result.output)) {
        return {
            action: "fail",
            message: `pulumi stack select ${stack} failed (exit ${result.status}), and not because the stack does not exist`,
            error: result.output.trim(),
        };
    }
    switch (op) {
        case "up":
            return { action: "create" };
        case "destroy":
            return { action: "absent", message: `Stack \`${stack}\` does not exist: nothing to destroy.` };
        case "preview":
        case "drift":
            return {
                action: "absent",
                message: `Stack \`${stack}\` does not exist yet: nothing to ${op === "drift" ? "check for drift" : op} (the first deploy creates it).`,
            };
    }
}

/** The repository variables holding the Cloud KMS key of each kind of stack (bootstrap/'s outputs). */
export const SECRETS_PROVIDER_VARIABLES = { gke: "GKE_SECRETS_PROVIDER", review: "REVIEW_SECRETS_PROVIDER" } as const;

/**
 * The `--secrets-provider` a new stack is created with: review stacks' key or gke's, from the repository
 * variable the job passes. CI holds no passphrase, so anything but a Cloud KMS key would make a stack no
 * later job can decrypt; it is refused before the stack exists.
 */
export function secretsProviderFor(review: boolean, env: Readonly<Record<string, string | undefined>>): string {
    const variable = SECRETS_PROVIDER_VARIABLES[review ? "review" : "gke"];
    const value = env[variable] ?? "";
    if (value === "") {
        throw new Error(`${variable} is not set: a new stack needs its Cloud KMS key (bootstrap's output)`);
    }
    if (!/^gcpkms:\/\/projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.test(value)) {
        throw new Error(
            `${variable} must be gcpkms://projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key> ` +
                `(CI has no passphrase), got "${value}"`,
        );
    }
    return value;
}
