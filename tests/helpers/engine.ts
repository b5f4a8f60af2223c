// Shared by the engine tests and the engine benchmark: ephemeral stacks of this project on a real
// Kubernetes API (the local control plane, or any kubeconfig context), through the Automation API.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ConfigMap, EngineEvent, LocalWorkspace, OpType, Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../../config";
import { REPO_ROOT } from "./stack-config";

/** Where the engine tests deploy: set by scripts/test-e2e.sh from the local control plane. */
export interface Cluster {
    readonly kubeconfig: string;
    readonly context: string;
}

export function clusterFromEnv(): Cluster {
    const kubeconfig = process.env.E2E_KUBECONFIG;
    const context = process.env.E2E_KUBE_CONTEXT;
    if (!kubeconfig || !context) {
        throw new Error("E2E_KUBECONFIG and E2E_KUBE_CONTEXT must name the cluster (scripts/test-e2e.sh sets them)");
    }
    return { kubeconfig, context };
}

/** A name unique enough for parallel runs on one machine: a stack and namespace name. */
export function uniqueName(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** A new stack of this project deploying into `namespace` on the cluster, with Pulumi.yaml defaults. */
export async function createStack(
    stackName: string,
    cluster: Cluster,
    namespace: string,
    extraConfig: Record<string, string> = {},
): Promise<Stack> {
    const stack = await LocalWorkspace.createStack({ stackName, workDir: REPO_ROOT });
    const config: ConfigMap = {};
    const values = { kubeContext: cluster.context, kubeconfig: cluster.kubeconfig, namespace, ...extraConfig };
    for (const [key, value] of Object.entries(values)) config[`${PROJECT}:${key}`] = { value };
    await stack.setAllConfig(config);
    return stack;
}

/** Destroys (if anything is left) and removes a stack and its settings file; quiet when it is gone. */
export async function removeStack(stack: Stack): Promise<void> {
    const stacks = await stack.workspace.listStacks();
    if (stacks.some((s) => s.name === stack.name)) {
        await stack.destroy();
        await stack.workspace.removeStack(stack.name);
    }
    fs.rmSync(path.join(REPO_ROOT, `Pulumi.${stack.name}.yaml`), { force: true });
}

/** The steps an operation planned or took, other than `same`, as "op type name". */
export function changesOf(events: readonly EngineEvent[]): string[] {
    return events
        .filter((e) => e.resourcePreEvent !== undefined)
        .map((e) => e.resourcePreEvent!.metadata)
        .filter((m) => m.op !== ("same" as OpType))
        .map((m) => `${m.op} ${m.type} ${m.urn.split("::").pop()}`)
        .sort();
}

export function kubeClients(cluster: Cluster) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    kc.setCurrentContext(cluster.context);
    return {
        core: kc.makeApiClient(k8s.CoreV1Api),
        apps: kc.makeApiClient(k8s.AppsV1Api),
        networking: kc.makeApiClient(k8s.NetworkingV1Api),
        policy: kc.makeApiClient(k8s.PolicyV1Api),
        discovery: kc.makeApiClient(k8s.DiscoveryV1Api),
    };
}
export type KubeClients = ReturnType<typeof kubeClients>;

/** Seconds since `start`, for the step timings the engine suite and benchmark print. */
export function secondsSince(start: bigint): number {
    return Number(process.hrtime.bigint() - start) / 1e9;
}
