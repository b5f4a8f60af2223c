// Engine benchmark, run by scripts/bench-engine.sh on the local control plane. Prints medians and ratios:
//   - a no-op `pulumi preview` of the app vs of an empty program (the engine's floor);
//   - `pulumi up` from nothing to all-Ready vs `kubectl apply` of the tutorial's manifests followed by
//     `kubectl rollout status` of every workload; a fresh namespace each run.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { clusterFromEnv, createStack, removeStack, secondsSince, uniqueName } from "../tests/helpers/engine";
import { REPO_ROOT } from "../tests/helpers/stack-config";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const cluster = clusterFromEnv();
const kubectlBinary = process.env.KUBECTL ?? "kubectl";

function kubectl(...args: string[]): void {
    execFileSync(kubectlBinary, ["--kubeconfig", cluster.kubeconfig, "--context", cluster.context, ...args], {
        stdio: ["ignore", "ignore", "inherit"],
    });
}

async function seconds(work: () => Promise<unknown> | unknown): Promise<number> {
    const start = process.hrtime.bigint();
    await work();
    return secondsSince(start);
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A TypeScript Pulumi program with no resources, run the same way as the app (same SDK, same host). */
async function emptyProgramStack(): Promise<{ stack: Stack; dir: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-empty-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: bench-empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    fs.writeFileSync(path.join(dir, "index.ts"), "export const empty = true;\n");
    fs.copyFileSync(path.join(REPO_ROOT, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "bench-empty", "private": true }\n');
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    const stack = await LocalWorkspace.createStack({ stackName: uniqueName("bench-empty"), workDir: dir });
    return { stack, dir };
}

async function previewFloor(): Promise<{ app: number[]; empty: number[] }> {
    const name = uniqueName("bench-preview");
    const app = await createStack(name, cluster, name);
    const { stack: empty, dir } = await emptyProgramStack();
    try {
        await app.up();
        await empty.up();
        const appTimes: number[] = [];
        const emptyTimes: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            appTimes.push(await seconds(() => app.preview()));
            emptyTimes.push(await seconds(() => empty.preview()));
        }
        return { app: appTimes, empty: emptyTimes };
    } finally {
        await removeStack(app);
        await empty.destroy();
        await empty.workspace.removeStack(empty.name);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function upVersusKubectl(): Promise<{ up: number[]; kubectl: number[] }> {
    const manifests = path.join(REPO_ROOT, "scripts", "bench", "tutorial.yaml");
    const up: number[] = [];
    const applied: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        const name = uniqueName("bench-up");
        const stack = await createStack(name, cluster, name);
        try {
            up.push(await seconds(() => stack.up()));
        } finally {
            await removeStack(stack);
        }

        const namespace = uniqueName("bench-kubectl");
        try {
            applied.push(
                await seconds(() => {
                    kubectl("create", "namespace", namespace);
                    kubectl("apply", "-n", namespace, "-f", manifests);
                    for (const workload of ["deployment/frontend", "deployment/backend", "statefulset/redis"]) {
                        kubectl("rollout", "status", "-n", namespace, workload, "--timeout=300s");
                    }
                }),
            );
        } finally {
            kubectl("delete", "namespace", namespace, "--wait=true");
        }
    }
    return { up, kubectl: applied };
}

async function main(): Promise<void> {
    const preview = await previewFloor();
    const deploy = await upVersusKubectl();
    const fmt = (xs: number[]) =>
        `median ${median(xs).toFixed(2)} s  (runs: ${xs.map((x) => x.toFixed(2)).join(", ")})`;
    const previewRatio = median(preview.app) / median(preview.empty);
    const upRatio = median(deploy.up) / median(deploy.kubectl);
    console.log(`no-op pulumi preview, app            ${fmt(preview.app)}`);
    console.log(`no-op pulumi preview, empty program  ${fmt(preview.empty)}`);
    console.log(`pulumi up, empty → all Ready         ${fmt(deploy.up)}`);
    console.log(`kubectl apply + rollout status       ${fmt(deploy.kubectl)}`);
    console.log(`ratio preview app/empty: ${previewRatio.toFixed(2)}× (goal ≤ 1.5×)`);
    console.log(`ratio up/kubectl:        ${upRatio.toFixed(2)}× (goal ≤ 1.3×)`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
