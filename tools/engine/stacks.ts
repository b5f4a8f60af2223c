// Ephemeral stacks of this project on a real Kubernetes API (the local control plane, or any kubeconfig
// context), through the Automation API: for the engine suite (tests/e2e) and the engine benchmark
// (tools/bench/engine.ts).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigMap, LocalWorkspace, Stack, Workspace } from "@pulumi/pulumi/automation";
import { PROJECT, REPO_ROOT } from "../../project";
import { sleep } from "../loopback/wait";
import { Cluster } from "./cluster";

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

/** Seconds since `start`, for the step timings the engine suite and benchmark print. */
export function secondsSince(start: bigint): number {
    return Number(process.hrtime.bigint() - start) / 1e9;
}
