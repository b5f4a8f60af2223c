// Values the engine cannot know during `pulumi preview` (an output of a resource not created yet) reach a
// policy as sentinels behind a proxy that throws UnknownValueError when read. Each check reads through
// `read`/`whenKnown`, so an unknown value skips that one check instead of the whole policy. On
// `pulumi up` every input is resolved before the policy runs, so the skipped check runs then.
import { UnknownValueError } from "@pulumi/policy";

/** What `read` returns for a value that is unknown during preview. */
export const UNKNOWN = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

/** Reads a value, giving UNKNOWN when anything read on the way is unknown during preview. */
export function read<T>(get: () => T): T | Unknown {
    try {
        return get();
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** Runs one check; a value unknown during preview skips it (no violations). */
export function whenKnown(check: () => readonly string[]): string[] {
    const messages = read(check);
    return messages === UNKNOWN ? [] : [...messages];
}
