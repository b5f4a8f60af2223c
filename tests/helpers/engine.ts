// Shared by the engine tests and the engine benchmark: ephemeral stacks of this project on a real
// Kubernetes API (the local control plane, or any kubeconfig context), through the Automation API.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ConfigMap, EngineEvent, LocalWorkspace, OpType, Stack, Workspace } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { PROJECT } from "../../project";
import { REPO_ROOT } from "../../project";

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

/** Runs kubectl (the local cluster's, $KUBECTL) on the cluster; returns its stdout. */
export function kubectl(cluster: Cluster, ...args: string[]): string {
    return execFileSync(
        process.env.KUBECTL ?? "kubectl",
        ["--kubeconfig", cluster.kubeconfig, "--context", cluster.context, ...args],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 5 * 60 * 1000 },
    );
}

/**
 * The local cluster's node, as tools/local-cluster/with-local-cluster.sh describes it: `real` (containerd + kubelet in
 * the node's network namespace: containers run) or `kwok` (fake nodes: pods turn Ready with no process).
 */
export type NodeInfo =
    | { readonly mode: "real"; readonly ip: string; readonly exec: string }
    | { readonly mode: "kwok"; readonly reason: string };

export function nodeFromEnv(): NodeInfo {
    const mode = process.env.E2E_NODE_MODE;
    if (mode === "real") {
        const ip = process.env.E2E_NODE_IP;
        const exec = process.env.E2E_NODE_EXEC;
        if (!ip || !exec) throw new Error("E2E_NODE_MODE=real needs E2E_NODE_IP and E2E_NODE_EXEC");
        return { mode, ip, exec };
    }
    if (mode === "kwok") return { mode, reason: process.env.E2E_NODE_MODE_REASON || "(no reason given)" };
    throw new Error(
        `E2E_NODE_MODE must be real or kwok (got "${mode ?? ""}"); tools/local-cluster/with-local-cluster.sh sets it`,
    );
}

/** One line for the test output: which node the engine suite runs on, and why when it is kwok. */
export function describeNode(node: NodeInfo): string {
    return node.mode === "real"
        ? `node mode: real (node ${node.ip}; containers run)`
        : `node mode: kwok (fake nodes, no container runs): ${node.reason}`;
}

export type RealNode = NodeInfo & { mode: "real" };

/** Runs a command inside the node's network namespace with its tools (crictl, ctr) on PATH; returns stdout. */
export function nodeExec(node: RealNode, ...args: string[]): string {
    return execFileSync(node.exec, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
}

/** What a copy of the program needs to run: its sources, the images' sources and the tools that build them. */
const PROGRAM_FILES = [
    "Pulumi.yaml",
    "package.json",
    "tsconfig.json",
    "tsconfig.pulumi.json",
    "index.ts",
    "config.ts",
    "project.ts",
    "components",
    "app",
    "tools",
];

/**
 * A copy of the program in a temporary directory (node_modules linked, not copied), for tests that change
 * its sources as a developer would. Remove it with fs.rmSync(dir, { recursive: true }).
 */
export function programCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "three-tier-program-"));
    for (const file of PROGRAM_FILES) fs.cpSync(path.join(REPO_ROOT, file), path.join(dir, file), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/**
 * Changes the API's source in a program copy so that its binary changes (a new init function reading a
 * variable named `marker`), as a developer's edit would; deleting the file reverts it.
 */
export function changeBackendSource(programDir: string, marker: string): string {
    const file = path.join(programDir, "app", "backend", "e2e_change.go");
    const variable = `E2E_${marker.replace(/[^A-Za-z0-9]/g, "_")}`;
    fs.writeFileSync(
        file,
        `package main\n\nimport "os"\n\n// Written by an engine test: a change of the API's binary.\nfunc init() { _ = os.Getenv("${variable}") }\n`,
    );
    return file;
}

/**
 * Stack `local`'s settings (Pulumi.local.yaml: the cluster's registry, the node's address), as short keys
 * for createStack; where and which namespace are each test's own.
 */
export function localStackConfig(): Record<string, string> {
    const file = process.env.E2E_LOCAL_STACK_CONFIG;
    if (!file)
        throw new Error(
            "E2E_LOCAL_STACK_CONFIG must name Pulumi.local.yaml (tools/local-cluster/with-local-cluster.sh sets it)",
        );
    const own = new Set(["kubeContext", "kubeconfig", "namespace"]);
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(parse(fs.readFileSync(file, "utf8"))?.config ?? {})) {
        const [project, short] = key.split(":");
        if (project === PROJECT && !own.has(short) && typeof value !== "object") config[short] = String(value);
    }
    // With kwok fake nodes the cluster's registry listens on loopback instead of the node IP.
    if (process.env.E2E_NODE_MODE === "kwok" && process.env.E2E_REGISTRY) {
        config.imageRegistry = `${process.env.E2E_REGISTRY}/${PROJECT}`;
    }
    return config;
}

/** A name unique enough for parallel runs on one machine: a stack and namespace name. */
export function uniqueName(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * A new stack of this project deploying into `namespace` on the cluster, with Pulumi.yaml defaults; the
 * program is this repository's, or the copy in `programDir`.
 */
export async function createStack(
    stackName: string,
    cluster: Cluster,
    namespace: string,
    extraConfig: Record<string, string> = {},
    programDir: string = REPO_ROOT,
): Promise<Stack> {
    const values = { kubeContext: cluster.context, kubeconfig: cluster.kubeconfig, namespace, ...extraConfig };
    return newStack(programDir, stackName, values);
}

/**
 * A new stack of this project in another stack's cluster (target stack, as review stacks are), deploying
 * into `namespace`; no cluster settings of its own.
 */
export async function createGuestStack(
    stackName: string,
    clusterStack: string,
    namespace: string,
    extraConfig: Record<string, string> = {},
): Promise<Stack> {
    return newStack(REPO_ROOT, stackName, { target: "stack", clusterStack, namespace, ...extraConfig });
}

/** Creates stack `stackName` of the program in `workDir` with these settings (short keys of this project). */
async function newStack(workDir: string, stackName: string, values: Record<string, string>): Promise<Stack> {
    const workspace = await LocalWorkspace.create({ workDir });
    const stack = await keepingSelection(workspace, () => Stack.create(stackName, workspace));
    const config: ConfigMap = {};
    for (const [key, value] of Object.entries(values)) config[`${PROJECT}:${key}`] = { value };
    await stack.setAllConfig(config);
    return stack;
}

/**
 * Runs `work`, then gives the user's stack selection back: `stack init` selects the new stack and
 * `stack rm` unselects the current one whichever it removes. Every operation here names its stack.
 */
async function keepingSelection<T>(workspace: Workspace, work: () => Promise<T>): Promise<T> {
    return underSelectionLock(workspace.workDir, async () => {
        const selected = (await workspace.stack())?.name;
        const result = await work();
        if (selected && (await workspace.listStacks()).some((s) => s.name === selected)) {
            await workspace.selectStack(selected);
        }
        return result;
    });
}

/**
 * Runs `work` as the only holder of `workDir`'s selection lock. Engine test files run side by side
 * (scripts/test-e2e.sh): without it one file could read the selection while another's `stack init` has
 * changed it, and give back the wrong stack. A lock whose holder has died is taken over.
 */
async function underSelectionLock<T>(workDir: string, work: () => Promise<T>): Promise<T> {
    const id = createHash("sha256").update(workDir).digest("hex").slice(0, 16);
    const lock = path.join(os.tmpdir(), `${PROJECT}-stack-selection-${id}.lock`);
    const holder = path.join(lock, "pid");
    const deadline = Date.now() + 5 * 60 * 1000;
    for (;;) {
        try {
            fs.mkdirSync(lock);
            fs.writeFileSync(holder, String(process.pid));
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            if (!isAlive(holderPid(holder))) {
                fs.rmSync(lock, { recursive: true, force: true });
            } else if (Date.now() > deadline) {
                throw new Error(`${lock}: held by a live process for 5 minutes`);
            } else {
                await sleep(100);
            }
        }
    }
    try {
        return await work();
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}

/** The pid in a lock's holder file; 0 while the holder has not written it yet, or the lock has just gone. */
function holderPid(file: string): number {
    try {
        return Number(fs.readFileSync(file, "utf8")) || 0;
    } catch {
        return 0;
    }
}

/** Whether process `pid` exists (0: a holder that has not written its pid yet, so alive). */
function isAlive(pid: number): boolean {
    if (!pid) return true;
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code !== "ESRCH";
    }
}

/** `pulumi stack rm` of a stack with nothing left, keeping the user's selection. */
export async function forgetStack(stack: Stack): Promise<void> {
    await keepingSelection(stack.workspace, () => stack.workspace.removeStack(stack.name));
}

/** Destroys (if anything is left) and removes a stack and its settings file; quiet when it is gone. */
export async function removeStack(stack: Stack): Promise<void> {
    const stacks = await stack.workspace.listStacks();
    if (stacks.some((s) => s.name === stack.name)) {
        await stack.destroy();
        await forgetStack(stack);
    }
    fs.rmSync(path.join(stack.workspace.workDir, `Pulumi.${stack.name}.yaml`), { force: true });
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

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every second until it holds; returns the seconds it took, throws after `timeoutSeconds`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutSeconds: number): Promise<number> {
    const start = process.hrtime.bigint();
    while (!(await check().catch(() => false))) {
        if (secondsSince(start) > timeoutSeconds) throw new Error(`timed out after ${timeoutSeconds} s: ${what}`);
        await sleep(1000);
    }
    return secondsSince(start);
}

/** Whether `read` fails with the Kubernetes API's 404: the object does not exist (any other error is false). */
export async function isNotFound(read: () => Promise<unknown>): Promise<boolean> {
    try {
        await read();
        return false;
    } catch (e) {
        return (e as { code?: number }).code === 404;
    }
}
