// Stack names: which stack a resource belongs to, and whether a stack matches a configured pattern.

/** The stack named in a resource URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOfUrn(urn: string): string {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    if (match === null) throw new Error(`not a Pulumi resource URN: "${urn}"`);
    return match[1];
}

/** Whether a stack name matches a pattern in which `*` stands for any run of characters (`pr-*`). */
export function stackMatches(stack: string, pattern: string): boolean {
    const regex = pattern
        .split("*")
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
    return new RegExp(`^${regex}$`).test(stack);
}
