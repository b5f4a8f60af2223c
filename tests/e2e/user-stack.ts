// Issue 12's record of the user's stack: what user-stack.fixture.ts writes before the engine tests and
// user-stack.test.ts compares after them.
import { LocalWorkspace, StackSummary } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../project";
import { Cluster } from "../../tools/engine/cluster";
import { KubeClients } from "../helpers/engine";

/** The stack `npm run deploy` makes on the local cluster. */
export const USER_STACK = "local";

export interface UserStackSnapshot {
    /** The stack selected in this project's workspace, if any. */
    selected?: string;
    /** Stack `local`, when it has resources. */
    deployed?: {
        readonly summary: StackSummary;
        readonly cluster: Cluster;
        readonly namespace: string;
        /** metadata.generation of each workload, as "Kind name". */
        readonly generations: Record<string, number | undefined>;
    };
}

/** Where the record goes: a file scripts/test-e2e.sh names for one run of the suite. */
export function snapshotPath(): string {
    const file = process.env.E2E_USER_STACK_SNAPSHOT;
    if (!file) throw new Error("E2E_USER_STACK_SNAPSHOT is not set: run the engine suite through scripts/test-e2e.sh");
    return file;
}

export async function userStackSummary(): Promise<StackSummary | undefined> {
    const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT });
    return (await workspace.listStacks()).find((s) => s.name === USER_STACK);
}

export async function workloadGenerations(
    kube: KubeClients,
    namespace: string,
): Promise<Record<string, number | undefined>> {
    const result: Record<string, number | undefined> = {};
    for (const d of (await kube.apps.listNamespacedDeployment({ namespace })).items) {
        result[`Deployment ${d.metadata?.name}`] = d.metadata?.generation;
    }
    for (const s of (await kube.apps.listNamespacedStatefulSet({ namespace })).items) {
        result[`StatefulSet ${s.metadata?.name}`] = s.metadata?.generation;
    }
    return result;
}
