// Issue 12: the engine suite leaves the user's own deployment alone. `npm run deploy` makes stack `local` in
// this project's backend; the suite deploys stacks of its own into the same cluster. The root hook below
// records stack `local` before any engine test; this file's tests run after all the others
// (scripts/test-e2e.sh sorts the files) and compare. The user's selected stack is checked the same way.
import * as assert from "node:assert/strict";
import { LocalWorkspace, StackSummary } from "@pulumi/pulumi/automation";
import { PROJECT } from "../../project";
import { Cluster, clusterFromEnv, describeNode, nodeFromEnv } from "../../tools/engine/cluster";
import { kubeClients, KubeClients } from "../helpers/engine";
import { REPO_ROOT } from "../../project";
import { tutorialSession } from "./http";

const USER_STACK = "local";

interface UserStack {
    readonly summary: StackSummary;
    readonly namespace: string;
    readonly kube: KubeClients;
    /** metadata.generation of each workload, as "Kind name". */
    readonly generations: Record<string, number | undefined>;
}

async function generations(kube: KubeClients, namespace: string): Promise<Record<string, number | undefined>> {
    const result: Record<string, number | undefined> = {};
    for (const d of (await kube.apps.listNamespacedDeployment({ namespace })).items) {
        result[`Deployment ${d.metadata?.name}`] = d.metadata?.generation;
    }
    for (const s of (await kube.apps.listNamespacedStatefulSet({ namespace })).items) {
        result[`StatefulSet ${s.metadata?.name}`] = s.metadata?.generation;
    }
    return result;
}

async function userStackSummary(): Promise<StackSummary | undefined> {
    const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT });
    return (await workspace.listStacks()).find((s) => s.name === USER_STACK);
}

let userStack: UserStack | undefined;
let selectedBefore: string | undefined;

// A root hook: runs before every engine test of this run, whichever file they are in.
before(async () => {
    const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT });
    selectedBefore = (await workspace.stack())?.name;
    const summary = await userStackSummary();
    if (!summary?.resourceCount) return;
    // Read-only look-ups (`pulumi config`, `pulumi stack output`): the stack is neither selected nor run.
    const config = await workspace.getAllConfig(USER_STACK);
    const outputs = await workspace.stackOutputs(USER_STACK);
    const suite = clusterFromEnv();
    const cluster: Cluster = {
        kubeconfig: config[`${PROJECT}:kubeconfig`]?.value || suite.kubeconfig,
        context: config[`${PROJECT}:kubeContext`]?.value || suite.context,
    };
    const kube = kubeClients(cluster);
    const namespace = String(outputs.namespace.value);
    userStack = { summary, namespace, kube, generations: await generations(kube, namespace) };
});

describe(`engine: the user's deployed stack \`${USER_STACK}\` is left untouched (issue 12)`, function () {
    this.timeout(60_000);

    it("keeps the user's selected stack selected", async () => {
        const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT });
        assert.equal((await workspace.stack())?.name, selectedBefore);
    });

    it("no engine operation ran on it, and its workloads keep their generations", async function () {
        if (!userStack) {
            this.test!.title += `: NOT CHECKED, no stack \`${USER_STACK}\` with resources in this project's backend`;
            console.log(`      nothing to compare: deploy it first (npm run deploy) for this check to run`);
            this.skip();
        }
        const { summary, namespace, kube } = userStack;
        assert.ok(Object.keys(userStack.generations).length >= 3, `its workloads in ${namespace}`);
        const now = await userStackSummary();
        assert.deepEqual(
            [now?.lastUpdate, now?.resourceCount, now?.updateInProgress],
            [summary.lastUpdate, summary.resourceCount, summary.updateInProgress],
            "its last update and resource count",
        );
        assert.deepEqual(await generations(kube, namespace), userStack.generations);
    });

    it("its app still answers the tutorial's session through its NodePort", async function () {
        const node = nodeFromEnv();
        if (!userStack || node.mode !== "real") {
            const why = !userStack ? `no stack \`${USER_STACK}\` deployed` : describeNode(node);
            this.test!.title += `: NOT CHECKED, ${why}`;
            console.log(`      not checked: ${why}`);
            this.skip();
        }
        const service = await userStack.kube.core.readNamespacedService({
            name: "nginx",
            namespace: userStack.namespace,
        });
        const port = service.spec?.ports?.[0].nodePort;
        assert.ok(port, "its Service nginx has a NodePort");
        // A counter of its own, nobody else's (the user's Redis keeps it: one key, user:<id>).
        const user = 900_000_000 + Math.floor(Math.random() * 1e8);
        await tutorialSession({ host: node.ip, port }, user);
    });
});
