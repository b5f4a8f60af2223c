// The pulumi command line of each CI operation, in one place: what pulumi-stack.yml runs through
// `scripts/pipeline.ts run`, and what tests/tools/pipeline/commands.test.ts pins down.

export const OPERATIONS = ["preview", "up", "destroy", "drift"] as const;
export type Operation = (typeof OPERATIONS)[number];

export function operation(name: string): Operation {
    if (!(OPERATIONS as readonly string[]).includes(name)) {
        throw new Error(`unknown operation "${name}": expected ${OPERATIONS.join(", ")}`);
    }
    return name as Operation;
}

interface RunOptions {
    /** policy/config/<stack>.json when the repository has one (a reviewed exception). */
    readonly policyConfig?: string;
    /** destroy: remove the stack and its config afterwards (review stacks). */
    readonly remove?: boolean;
}

/** The arguments of `pulumi` for an operation on a stack; never interactive, no colour codes. */
export function pulumiArgs(op: Operation, stack: string, options: RunOptions = {}): string[] {
    const common = ["--stack", stack, "--non-interactive", "--color", "never", "--suppress-progress"];
    const policy = [
        "--policy-pack",
        "policy",
        ...(options.policyConfig === undefined ? [] : ["--policy-pack-config", options.policyConfig]),
    ];
    switch (op) {
        case "preview":
            return ["preview", "--diff", ...policy, ...common];
        case "up":
            // Previews first (no --skip-preview): the policy pack stops a bad change before anything changes.
            return ["up", "--yes", "--diff", ...policy, ...common];
        case "destroy":
            return ["destroy", "--yes", ...(options.remove === true ? ["--remove"] : []), ...common];
        case "drift":
            // Refresh in preview mode: reads the live resources, changes neither them nor the state.
            return ["preview", "--refresh", "--expect-no-changes", "--diff", ...common];
    }
}
