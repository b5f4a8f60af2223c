// `scripts/local-cluster.sh down` undoes everything `up` did: the host looks the same before `up`
// and after `down` (links, netns, root-netns nft tables, mounts, routes, the sysctls the kubelet
// changes, the fixed paths components write, cgroups), and no process of the cluster is left.
// On a real node a pod runs in between, its image pulled from the cluster's registry by digest as the
// app's are, so containers, their mounts, a CNI address and pulled images exist to undo.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
const CLUSTER = path.join(ROOT, "scripts/local-cluster.sh");
const NODE_EXEC = path.join(ROOT, "tools/local-cluster/node-exec");
const PAUSE = "localhost/three-tier-app/pause:3.10";
const MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");
const SYSCTLS = ["kernel/panic", "kernel/panic_on_oops", "vm/overcommit_memory"];
const FIXED_PATHS = ["/var/lib/cni", "/var/lib/kubelet", "/var/log/containers", "/run/three-tier-node"];
const NODE_MARKERS = ["three-tier-node", "local-cluster-bin/", "three-tier-app/cluster/"];

function run(cmd: string, args: string[], input?: string): string {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", input, stdio: ["pipe", "pipe", "inherit"] });
}

/** Everything on the host that the cluster may touch, as comparable text. */
function hostSnapshot(): Record<string, string> {
    const cgroups = fs
        .readdirSync("/sys/fs/cgroup")
        .filter((h) => fs.existsSync(path.join("/sys/fs/cgroup", h, "three-tier-node")));
    return {
        links: run("ip", ["-br", "link"]),
        netns: run("ip", ["netns", "list"]),
        nftTables: run("nft", ["list", "tables"]),
        mounts: fs.readFileSync("/proc/mounts", "utf8"),
        routes: run("ip", ["route", "show"]),
        sysctls: SYSCTLS.map((k) => `${k}=${fs.readFileSync(`/proc/sys/${k}`, "utf8").trim()}`).join("\n"),
        fixedPaths: FIXED_PATHS.map((p) => `${p}: ${fs.existsSync(p) ? listTree(p).join(",") : "absent"}`).join("\n"),
        cgroups: cgroups.join(","),
    };
}

function listTree(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

/** Processes whose command line names the cluster's binaries or state (pid: command). */
function clusterProcesses(): string[] {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        let cmd: string;
        try {
            cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
        } catch {
            continue; // gone meanwhile
        }
        if (NODE_MARKERS.some((m) => cmd.includes(m)) && !cmd.includes("mocha")) found.push(`${pid}: ${cmd}`);
    }
    return found;
}

function clusterIsUp(): boolean {
    try {
        run(CLUSTER, ["status"]);
        return true;
    } catch {
        return false;
    }
}

/** The digest the registry serves for a tag (HEAD from this host, as the Pulumi program pushes from it). */
function manifestDigest(registry: string, repo: string, tag: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            `http://${registry}/v2/${repo}/manifests/${tag}`,
            { method: "HEAD", headers: { Accept: MANIFEST_TYPES } },
            (res) => {
                const digest = res.headers["docker-content-digest"];
                res.resume();
                if (res.statusCode === 200 && typeof digest === "string") resolve(digest);
                else reject(new Error(`HEAD ${repo}:${tag} on ${registry}: HTTP ${res.statusCode}`));
            },
        );
        req.on("error", reject);
        req.end();
    });
}

function probePod(image: string): string {
    return `apiVersion: v1
kind: ConfigMap
metadata: {name: lifecycle-probe}
data: {greeting: hello}
---
apiVersion: v1
kind: Pod
metadata: {name: lifecycle-probe}
spec:
  containers:
  - name: pause
    image: ${image}
    imagePullPolicy: Always
    volumeMounts: [{name: cm, mountPath: /etc/probe}, {name: scratch, mountPath: /scratch}]
  volumes:
  - {name: cm, configMap: {name: lifecycle-probe}}
  - {name: scratch, emptyDir: {}}
`;
}

describe("local cluster lifecycle: down undoes up", function () {
    // The binaries are built before this suite runs (scripts/test.sh, npm run test:cluster); `up` may
    // still build the images (about a minute cold).
    this.timeout(10 * 60 * 1000);

    it("leaves the host as it found it", async function () {
        if (clusterIsUp()) {
            // A deployed stack (npm run deploy) lives on it: `down` would take the user's app away. CI runs
            // this suite before it deploys anything, so there the test always runs.
            console.log(
                "    pending: the local cluster is up (a deployed stack uses it); `npm run cluster:down` first",
            );
            this.skip();
        }
        const before = hostSnapshot();
        assert.deepEqual(clusterProcesses(), [], "cluster processes running before up");

        run(CLUSTER, ["up"]);
        const mode = run(CLUSTER, ["mode"]).trim();
        console.log(`    mode: ${mode}`);
        const during = hostSnapshot();
        assert.notDeepEqual(clusterProcesses(), [], "up started no process this test can see");
        // The registry runs in both modes, on the node IP or loopback; status checks GET /v2/ from this host.
        const registry = run(CLUSTER, ["registry"]).trim();
        assert.equal(registry, mode === "real" ? "172.31.255.2:5000" : "127.0.0.1:5000");
        assert.match(run(CLUSTER, ["status"]), /^registry +up +pid \d+ +healthy/m, "status lists no healthy registry");
        if (mode === "real") {
            assert.match(during.netns, /three-tier-node/, "up made no node netns");
            // The imported pause image goes to the registry (pushed by the node's ctr), and the pod names it
            // by digest: containerd pulls it through its hosts.toml (plain HTTP), as it does the app's images.
            const node = (...args: string[]) => run(NODE_EXEC, args);
            const pushed = `${registry}/three-tier-app/pause:3.10`;
            node("ctr", "images", "tag", PAUSE, pushed);
            node("ctr", "images", "push", "--plain-http", pushed);
            node("ctr", "images", "rm", pushed);
            const digest = await manifestDigest(registry, "three-tier-app/pause", "3.10");
            const image = `${registry}/three-tier-app/pause@${digest}`;
            const kubectl = run(CLUSTER, ["kubectl"]).trim();
            const kubeconfig = run(CLUSTER, ["kubeconfig"]).trim();
            const k = (...args: string[]) => run(kubectl, ["--kubeconfig", kubeconfig, "-n", "default", ...args]);
            run(kubectl, ["--kubeconfig", kubeconfig, "-n", "default", "apply", "-f", "-"], probePod(image));
            k("wait", "--for=condition=Ready", "pod/lifecycle-probe", "--timeout=180s");
            const images: { images: { repoDigests: string[] }[] } = JSON.parse(node("crictl", "images", "-o", "json"));
            assert.ok(
                images.images.some((i) => i.repoDigests.includes(image)),
                `containerd holds no image pulled as ${image}`,
            );
            assert.notEqual(hostSnapshot().mounts, before.mounts, "a running pod added no mount");
        }

        run(CLUSTER, ["down"]);
        const after = hostSnapshot();
        assert.deepEqual(clusterProcesses(), [], "processes left after down");
        for (const key of Object.keys(before)) {
            assert.equal(after[key], before[key], `${key} differs between before up and after down`);
        }
    });
});
