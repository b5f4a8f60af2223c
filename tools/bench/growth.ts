// How the engine's and the cluster's costs grow (npm run bench:engine -- --growth): stacks side by side in
// one cluster, each in its own namespace as review stacks are, and more replicas per tier. Timed as in
// cli.ts: only the CLI process. Memory is the resident set of everything the cluster runs: its processes
// (all in the node's network namespace, the host's pv-dirs helper by the pid `status` reports) and every
// pod's processes (under the node's cgroup).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../project";
import type { Cluster } from "../engine/cluster";
import { createStack, removeStack, uniqueName } from "../engine/stacks";
import { timedPulumi } from "./cli";

/** The node's network namespace and cgroup, as tools/local-cluster names them. */
const NODE_NETNS = "/run/netns/three-tier-node";
const NODE_CGROUP = "/three-tier-node/";

/** Resident memory, in MB, of every process of the local cluster and its pods. */
export function clusterRssMb(): number {
    const netns = `net:[${fs.statSync(NODE_NETNS).ino}]`;
    const status = execFileSync(path.join(REPO_ROOT, "scripts/local-cluster.sh"), ["status"], { encoding: "utf8" });
    const recorded = new Set([...status.matchAll(/ pid (\d+) /g)].map((m) => m[1]));
    let kb = 0;
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            const ours =
                recorded.has(pid) ||
                fs.readlinkSync(`/proc/${pid}/ns/net`) === netns ||
                fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(NODE_CGROUP);
            const rss = ours ? /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8")) : null;
            kb += rss ? Number(rss[1]) : 0;
        } catch {
            // gone meanwhile
        }
    }
    return kb / 1024;
}

export interface GrowthRow {
    readonly what: string;
    /** `pulumi up` of the stack that made the row's state, nothing → all Ready. */
    readonly up: number;
    /** A no-op `pulumi preview` of one stack in that state. */
    readonly preview: number;
    readonly rssMb: number;
}

/**
 * 1, 3 and 6 stacks side by side: each row's `up` is that of the stack that brought the count to it, its
 * preview one of the first stack, its memory with all of them running.
 */
export async function stacksSideBySide(cluster: Cluster, config: Record<string, string>) {
    const rows: GrowthRow[] = [];
    const stacks: Stack[] = [];
    const baseline = clusterRssMb();
    try {
        for (const count of [1, 3, 6]) {
            let up = 0;
            while (stacks.length < count) {
                const name = uniqueName("bench-growth");
                stacks.push(await createStack(name, cluster, name, config));
                up = await timedPulumi(stacks[stacks.length - 1], "up", "--yes", "--skip-preview");
            }
            const preview = await timedPulumi(stacks[0], "preview");
            rows.push({ what: `${count} stack${count > 1 ? "s" : ""}`, up, preview, rssMb: clusterRssMb() });
        }
    } finally {
        await Promise.all(stacks.map(removeStack));
    }
    return { baseline, rows };
}

/** One stack with `replicas` nginx and API pods (Redis stays one), alone in the cluster. */
export async function withReplicas(
    cluster: Cluster,
    config: Record<string, string>,
    replicas: number,
): Promise<GrowthRow> {
    const name = uniqueName("bench-replicas");
    const stack = await createStack(name, cluster, name, {
        ...config,
        frontendReplicas: String(replicas),
        backendReplicas: String(replicas),
    });
    try {
        const up = await timedPulumi(stack, "up", "--yes", "--skip-preview");
        const preview = await timedPulumi(stack, "preview");
        return { what: `1 stack, ${replicas} replicas per tier`, up, preview, rssMb: clusterRssMb() };
    } finally {
        await removeStack(stack);
    }
}

export function growthReport(baseline: number, rows: readonly GrowthRow[]): string {
    const lines = [`cluster with no stack: ${baseline.toFixed(0)} MB resident`];
    lines.push(`${"state".padEnd(30)} ${"up".padStart(8)} ${"preview".padStart(8)} ${"RSS".padStart(8)}`);
    for (const r of rows) {
        const s = (x: number) => `${x.toFixed(2)} s`.padStart(8);
        lines.push(`${r.what.padEnd(30)} ${s(r.up)} ${s(r.preview)} ${`${r.rssMb.toFixed(0)} MB`.padStart(8)}`);
    }
    return lines.join("\n");
}
