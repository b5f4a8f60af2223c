// The engine suite's own helpers (tests/e2e): the node's tools, program copies, what an operation changed,
// Kubernetes API clients, waiting. What it shares with the engine benchmark is in tools/engine/.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../project";
import { Cluster, NodeInfo } from "../../tools/engine/cluster";
import { secondsSince } from "../../tools/engine/stacks";
import { sleep } from "../../tools/loopback/wait";

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
