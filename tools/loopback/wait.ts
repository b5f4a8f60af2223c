// Waiting: a pause, and polling until a condition holds.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
    what: string | (() => string),
    check: () => Promise<boolean>,
    timeoutMs: number,
    everyMs = 50,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await check()) return;
        } catch {
            /* not yet */
        }
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
        }
        await sleep(everyMs);
    }
}
