// Issue 18: nothing that makes `up` faster may let it report success while a pod crash-loops. The API's
// Deployment here runs an image whose container cannot start (Redis' image, which has no /bin/app, pushed
// as the program pushes images): `up` must fail once rolloutTimeoutSeconds is over, naming that
// Deployment, while its pods restart with back-off.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { imageToolCommand, parsePushedImage } from "../../components/images";
import { plainHttpRegistry } from "../../config";
import { REPO_ROOT } from "../../project";
import { clusterFromEnv, localStackConfig } from "../../tools/engine/cluster";
import { createStack, removeStack, secondsSince, uniqueName } from "../../tools/engine/stacks";
import { kubeClients } from "../helpers/engine";

const TIMEOUT_SECONDS = 45;

/** Pushes the image the program builds for `name` to `registry` and returns its digest reference. */
function pushedImage(registry: string, name: string): string {
    const args = ["push", "--registry", registry, ...(plainHttpRegistry(registry) ? ["--insecure"] : []), name];
    const command = imageToolCommand(REPO_ROOT, args);
    const stdout = execFileSync(command.file, command.args, {
        cwd: REPO_ROOT,
        encoding: "utf8",
        env: { ...process.env, GOTOOLCHAIN: "local" },
    });
    return parsePushedImage(stdout, name).ref;
}

describe("engine: up fails while a pod crash-loops (issue 18)", function () {
    this.timeout(10 * 60 * 1000);
    let stack: Stack | undefined;

    after(async () => {
        if (stack) await removeStack(stack);
    });

    it(`fails after rolloutTimeoutSeconds (${TIMEOUT_SECONDS} s), naming the API's Deployment, whose pods restart`, async () => {
        const cluster = clusterFromEnv();
        const config = localStackConfig();
        const name = uniqueName("e2e-crashloop");
        const notTheApi = pushedImage(config.imageRegistry, "redis");
        stack = await createStack(name, cluster, name, {
            ...config,
            backendImage: notTheApi,
            rolloutTimeoutSeconds: String(TIMEOUT_SECONDS),
        });

        const start = process.hrtime.bigint();
        await assert.rejects(stack.up(), /web-backend-deployment/);
        const took = secondsSince(start);
        console.log(`      up failed after ${took.toFixed(1)} s`);
        assert.ok(took >= TIMEOUT_SECONDS && took < TIMEOUT_SECONDS + 60, `up failed after ${took.toFixed(1)} s`);

        const pods = await kubeClients(cluster).core.listNamespacedPod({
            namespace: name,
            labelSelector: "service=app",
        });
        const restarts = pods.items.flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => c.restartCount));
        assert.ok(restarts.length > 0 && restarts.every((r) => r >= 1), `the API's containers restarted: ${restarts}`);
    });
});
