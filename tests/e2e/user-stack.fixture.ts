// Issue 12: what the engine suite must leave as it found it, recorded before any engine test runs. A mocha
// global fixture (scripts/test-e2e.sh requires this file for the run of the other engine files, which run
// side by side): it writes the user's stack `local` and selected stack to $E2E_USER_STACK_SNAPSHOT, and
// user-stack.test.ts, run after them, compares.
import * as fs from "node:fs";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { PROJECT, REPO_ROOT } from "../../project";
import { clusterFromEnv } from "../../tools/engine/cluster";
import { kubeClients } from "../helpers/engine";
import { USER_STACK, UserStackSnapshot, snapshotPath, userStackSummary, workloadGenerations } from "./user-stack";

export async function mochaGlobalSetup(): Promise<void> {
    const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT });
    const snapshot: UserStackSnapshot = { selected: (await workspace.stack())?.name };
    const summary = await userStackSummary();
    if (summary?.resourceCount) {
        // Read-only look-ups (`pulumi config`, `pulumi stack output`): the stack is neither selected nor run.
        const config = await workspace.getAllConfig(USER_STACK);
        const outputs = await workspace.stackOutputs(USER_STACK);
        const suite = clusterFromEnv();
        const cluster = {
            kubeconfig: config[`${PROJECT}:kubeconfig`]?.value || suite.kubeconfig,
            context: config[`${PROJECT}:kubeContext`]?.value || suite.context,
        };
        const namespace = String(outputs.namespace.value);
        const generations = await workloadGenerations(kubeClients(cluster), namespace);
        snapshot.deployed = { summary, cluster, namespace, generations };
    }
    fs.writeFileSync(snapshotPath(), JSON.stringify(snapshot));
}
