// Mocha hooks for the app suite (tests/app): one LoopbackApp (tools/loopback/stack.ts) per describe block.
import { LoopbackApp, LoopbackAppOptions } from "../../tools/loopback/stack";

/**
 * Mocha hooks for a suite that runs against one LoopbackApp: start it before the tests, stop it after,
 * print its logs (the last `logLines`) when a test fails. Returns a getter for the running LoopbackApp.
 */
export function useLoopbackApp(opts: LoopbackAppOptions = {}, logLines?: number): () => LoopbackApp {
    let stack: LoopbackApp | undefined;
    before(async function () {
        this.timeout(300_000); // may build the Go binary first
        stack = await LoopbackApp.start(opts);
    });
    after(async () => {
        await stack?.stop();
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") console.log(stack?.logs(logLines));
    });
    return () => {
        if (stack === undefined) throw new Error("the loopback stack did not start");
        return stack;
    };
}
