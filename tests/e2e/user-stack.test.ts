// Issue 12: the engine suite leaves the user's own deployment alone. `npm run deploy` makes stack `local` in
// this project's backend; the suite deploys stacks of its own into the same cluster. user-stack.fixture.ts
// records stack `local` and the selected stack before any other engine test; scripts/test-e2e.sh runs this
// file after all of them, and it compares.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../project";
import { describeNode, nodeFromEnv } from "../../tools/engine/cluster";
import { kubeClients } from "../helpers/engine";
import { tutorialSession } from "./http";
import { USER_STACK, UserStackSnapshot, snapshotPath, userStackSummary, workloadGenerations } from "./user-stack";

describe(`engine: the user's deployed stack \`${USER_STACK}\` is left untouched (issue 12)`, function () {
    this.timeout(60_000);
    let recorded: UserStackSnapshot;

    before(() => {
        const file = snapshotPath();
        assert.ok(fs.existsSync(file), `${file}: no record from before the engine tests (user-stack.fixture.ts)`);
        recorded = JSON.parse(fs.readFileSync(file, "utf8"));
    });

    it("keeps the user's selected stack selected", async () => {
        const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT });
        assert.equal((await workspace.stack())?.name, recorded.selected);
    });

    it("no engine operation ran on it, and its workloads keep their generations", async function () {
        if (!recorded.deployed) {
            this.test!.title += `: NOT CHECKED, no stack \`${USER_STACK}\` with resources in this project's backend`;
            console.log(`      nothing to compare: deploy it first (npm run deploy) for this check to run`);
            this.skip();
        }
        const { summary, cluster, namespace, generations } = recorded.deployed;
        assert.ok(Object.keys(generations).length >= 3, `its workloads in ${namespace}`);
        const now = await userStackSummary();
        assert.deepEqual(
            [now?.lastUpdate, now?.resourceCount, now?.updateInProgress],
            [summary.lastUpdate, summary.resourceCount, summary.updateInProgress],
            "its last update and resource count",
        );
        assert.deepEqual(await workloadGenerations(kubeClients(cluster), namespace), generations);
    });

    it("its app still answers the tutorial's session through its NodePort", async function () {
        const node = nodeFromEnv();
        if (!recorded.deployed || node.mode !== "real") {
            const why = !recorded.deployed ? `no stack \`${USER_STACK}\` deployed` : describeNode(node);
            this.test!.title += `: NOT CHECKED, ${why}`;
            console.log(`      not checked: ${why}`);
            this.skip();
        }
        const kube = kubeClients(recorded.deployed.cluster);
        const service = await kube.core.readNamespacedService({
            name: "nginx",
            namespace: recorded.deployed.namespace,
        });
        const port = service.spec?.ports?.[0].nodePort;
        assert.ok(port, "its Service nginx has a NodePort");
        // A counter of its own, nobody else's (the user's Redis keeps it: one key, user:<id>).
        const user = 900_000_000 + Math.floor(Math.random() * 1e8);
        await tutorialSession({ host: node.ip, port }, user);
    });
});
