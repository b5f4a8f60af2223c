// Where the engine suite (tests/e2e) and the engine benchmark (tools/bench/engine.ts) deploy: the cluster and
// its node as tools/local-cluster/with-local-cluster.sh and scripts/test-e2e.sh describe them in the
// environment, kubectl on it, and stack `local`'s settings.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { parse } from "yaml";
import { PROJECT } from "../../project";

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
