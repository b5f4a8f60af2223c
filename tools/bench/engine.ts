// Engine benchmark (npm run bench:engine, through scripts/bench-engine.sh) on the local cluster. Prints medians,
// spreads and ratios over BENCH_RUNS runs (default 5); with `-- --profile`, where one up, preview and destroy
// spend their time instead (profile.ts); with `-- --growth`, how up, preview and memory grow with stacks
// and replicas (growth.ts):
//   - a no-op `pulumi preview` of the app vs of an empty program (the engine's floor), both run the same way
//     (transpile-only TypeScript with the program's tsconfig.pulumi.json, same SDK and host);
//   - `pulumi up` from nothing to all-Ready vs `kubectl apply` of the very objects that up created (read back
//     from the cluster: the same images, pod specs, probes, policies and claim) followed by
//     `kubectl rollout status` of every workload; a fresh namespace each run. On a real node both sides
//     wait for containers that really start and pass their probes.
// Only the CLI process is timed: `pulumi up` and `pulumi preview` are run directly, not through the Automation
// API, whose calls after an operation (stack outputs, history) are not what a user waits for.
// Both deploy stack `local`'s settings (Pulumi.local.yaml: the cluster's registry, which the images are
// pushed to; they are built once, before the first run, by the stack that measures previews).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT, REPO_ROOT } from "../../project";
import { clusterFromEnv, describeNode, kubectl, localStackConfig, nodeFromEnv } from "../engine/cluster";
import { createStack, removeStack, secondsSince, uniqueName } from "../engine/stacks";
import { growthReport, stacksSideBySide, withReplicas } from "./growth";
import { timedPulumi } from "./cli";
import { profiledPulumi, profileReport } from "./profile";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const cluster = clusterFromEnv();
const config = localStackConfig();
/** What `pulumi up` creates besides pods (which the workloads make). */
const KINDS =
    "configmaps,secrets,persistentvolumeclaims,services,deployments,statefulsets,networkpolicies,poddisruptionbudgets";
/** Annotations the API server and controllers add; a new object starts without them. */
const ADDED_ANNOTATION = /^(deployment|pv|volume|volume\.beta)\.kubernetes\.io\//;

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

/**
 * A TypeScript Pulumi program with no resources, run the same way as the app: same SDK and host, and the same
 * runtime options (transpile-only with the program's tsconfig.pulumi.json), so the floor is not flattered or
 * burdened by a type check the app does not pay.
 */
async function emptyProgramStack(): Promise<{ stack: Stack; dir: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-empty-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: bench-empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.pulumi.json\n",
    );
    fs.writeFileSync(path.join(dir, "index.ts"), "export const empty = true;\n");
    for (const file of ["tsconfig.json", "tsconfig.pulumi.json"]) {
        fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    }
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "bench-empty", "private": true }\n');
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    const stack = await LocalWorkspace.createStack({ stackName: uniqueName("bench-empty"), workDir: dir });
    return { stack, dir };
}

async function previewFloor(): Promise<{ app: number[]; empty: number[] }> {
    const name = uniqueName("bench-preview");
    const app = await createStack(name, cluster, name, config);
    const { stack: empty, dir } = await emptyProgramStack();
    try {
        await app.up();
        await empty.up();
        const appTimes: number[] = [];
        const emptyTimes: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            appTimes.push(await timedPulumi(app, "preview"));
            emptyTimes.push(await timedPulumi(empty, "preview"));
        }
        return { app: appTimes, empty: emptyTimes };
    } finally {
        await removeStack(app);
        await empty.destroy();
        await empty.workspace.removeStack(empty.name);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- objects read back as JSON, of several kinds */
/** An object read from the cluster, as a manifest creating the same in `namespace`. */
function asManifest(object: any, namespace: string): any {
    const { apiVersion, kind, metadata } = object;
    const labels = { ...metadata.labels };
    delete labels["kubernetes.io/metadata.name"];
    if (kind === "Namespace") return { apiVersion, kind, metadata: { name: namespace, labels } };
    const annotations = Object.fromEntries(
        Object.entries<string>(metadata.annotations ?? {}).filter(([k]) => !ADDED_ANNOTATION.test(k)),
    );
    const manifest = { ...object, metadata: { name: metadata.name, namespace, labels, annotations } };
    delete manifest.status;
    if (kind === "Service") {
        // Addresses and node ports are allocated afresh, as for the Service pulumi created.
        if (manifest.spec.clusterIP !== "None") {
            delete manifest.spec.clusterIP;
            delete manifest.spec.clusterIPs;
        }
        for (const port of manifest.spec.ports) delete port.nodePort;
    }
    if (kind === "PersistentVolumeClaim") delete manifest.spec.volumeName;
    return manifest;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The objects `pulumi up` made in `from`, as one manifest for `kubectl apply` into `to`, namespace first. */
function manifestOf(from: string, to: string): string {
    const namespace = JSON.parse(kubectl(cluster, "get", "namespace", from, "-o", "json"));
    const selector = `app.kubernetes.io/part-of=${PROJECT}`;
    const objects = JSON.parse(kubectl(cluster, "get", KINDS, "-n", from, "-l", selector, "-o", "json")).items;
    const items = [namespace, ...objects].map((o) => asManifest(o, to));
    return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

async function upVersusKubectl(): Promise<{ up: number[]; kubectl: number[]; objects: number }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-kubectl-"));
    const up: number[] = [];
    const applied: number[] = [];
    let objects = 0;
    try {
        for (let i = 0; i < RUNS; i++) {
            const name = uniqueName("bench-up");
            const namespace = uniqueName("bench-kubectl");
            const manifest = path.join(dir, `${namespace}.json`);
            const stack = await createStack(name, cluster, name, config);
            try {
                up.push(await timedPulumi(stack, "up", "--yes", "--skip-preview"));
                fs.writeFileSync(manifest, manifestOf(name, namespace));
            } finally {
                await removeStack(stack);
            }
            objects = JSON.parse(fs.readFileSync(manifest, "utf8")).items.length;

            try {
                applied.push(
                    await seconds(() => {
                        kubectl(cluster, "apply", "-f", manifest);
                        for (const workload of ["deployment/frontend", "deployment/backend", "statefulset/redis"]) {
                            kubectl(cluster, "rollout", "status", "-n", namespace, workload, "--timeout=300s");
                        }
                    }),
                );
            } finally {
                kubectl(cluster, "delete", "namespace", namespace, "--ignore-not-found", "--wait=true");
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return { up, kubectl: applied, objects };
}

/** `--profile`: one `up` of a new stack, a no-op preview and a destroy, each with where its time went. */
async function profile(): Promise<void> {
    const name = uniqueName("bench-profile");
    const stack = await createStack(name, cluster, name, config);
    try {
        const up = await profiledPulumi(stack, "up", "--yes", "--skip-preview");
        console.log(profileReport("pulumi up, empty → all Ready", up));
        console.log(profileReport("no-op pulumi preview", await profiledPulumi(stack, "preview")));
        console.log(profileReport("pulumi destroy", await profiledPulumi(stack, "destroy", "--yes", "--skip-preview")));
    } finally {
        await removeStack(stack);
    }
}

/** `--growth`: stacks side by side and replicas per tier, after one up that pushes the images. */
async function growth(): Promise<void> {
    const warm = await createStack(uniqueName("bench-warm"), cluster, uniqueName("bench-warm"), config);
    await warm.up();
    await removeStack(warm);
    const replicas = [await withReplicas(cluster, config, 2), await withReplicas(cluster, config, 10)];
    const sideBySide = await stacksSideBySide(cluster, config);
    console.log(growthReport(sideBySide.baseline, [...sideBySide.rows, ...replicas]));
}

async function main(): Promise<void> {
    console.log(describeNode(nodeFromEnv()));
    if (process.argv.includes("--profile")) return profile();
    if (process.argv.includes("--growth")) return growth();
    const preview = await previewFloor();
    const deploy = await upVersusKubectl();
    const fmt = (xs: number[]) =>
        `median ${median(xs).toFixed(2)} s, spread ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} s  ` +
        `(runs: ${xs.map((x) => x.toFixed(2)).join(", ")})`;
    const previewRatio = median(preview.app) / median(preview.empty);
    const upRatio = median(deploy.up) / median(deploy.kubectl);
    console.log(`no-op pulumi preview, app            ${fmt(preview.app)}`);
    console.log(`no-op pulumi preview, empty program  ${fmt(preview.empty)}`);
    console.log(`pulumi up, empty → all Ready         ${fmt(deploy.up)}`);
    console.log(`kubectl apply + rollout status       ${fmt(deploy.kubectl)}  (the same ${deploy.objects} objects)`);
    console.log(`ratio preview app/empty: ${previewRatio.toFixed(2)}× (goal ≤ 1.3×)`);
    console.log(`ratio up/kubectl:        ${upRatio.toFixed(2)}× (goal ≤ 1.3×)`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
