// Review stacks from the command line: a throwaway stack of this project in its own namespace.
//
//   eval "$(scripts/toolchain.sh env)"        # pulumi on PATH, backend and passphrase
//   npx ts-node scripts/review-stack.ts create alice [--from dev]
//   npx ts-node scripts/review-stack.ts preview alice [--no-policy]
//   npx ts-node scripts/review-stack.ts up alice [--no-policy]
//   npx ts-node scripts/review-stack.ts destroy alice
//
// `create` makes stack review-<name> with a copy of the --from stack's config (default dev), its
// namespace set to review-<name>. `preview` and `up` run the policy pack in policy/ unless --no-policy.
// `destroy` destroys and removes the stack, then looks in the cluster for anything left in the
// namespace (a PersistentVolumeClaim held by a finalizer, a retained PersistentVolume) and exits 1 when
// something is. Pure parts are exported for tests/scripts/review-stack.test.ts.
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ConfigMap, LocalWorkspace, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import { PROJECT, REPO_ROOT } from "../project";

const POLICY_PACK = path.join(REPO_ROOT, "policy");
const PREFIX = "review-";
/** A namespace is a DNS label: at most 63 characters. */
const MAX_NAME = 63 - PREFIX.length;

const COMMANDS = ["create", "preview", "up", "destroy"] as const;
export type Command = (typeof COMMANDS)[number];

export const USAGE = [
    "usage: review-stack <create|preview|up|destroy> <name> [options]",
    "  create <name> [--from <stack>]   stack review-<name>, a copy of <stack>'s config (default dev), namespace review-<name>",
    "  preview <name> [--no-policy]     pulumi preview, under the policy pack unless --no-policy",
    "  up <name> [--no-policy]          pulumi up, under the policy pack unless --no-policy",
    "  destroy <name>                   pulumi destroy, stack rm, then report what is left in the namespace",
].join("\n");

export class UsageError extends Error {
    constructor(problem: string) {
        super(`${problem}\n${USAGE}`);
        this.name = "UsageError";
    }
}

export interface Invocation {
    readonly command: Command;
    /** Stack and namespace: review-<name>. */
    readonly stack: string;
    /** create: the stack whose config is copied. */
    readonly from: string;
    /** preview, up: run the policy pack. */
    readonly policy: boolean;
}

/** The stack (and namespace) of a review name; `alice` and `review-alice` both give `review-alice`. */
export function reviewStackName(name: string): string {
    const bare = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(bare) || bare.length > MAX_NAME) {
        throw new UsageError(
            `name must be lowercase letters, digits and '-', starting and ending with a letter or digit, ` +
                `at most ${MAX_NAME} characters (got "${name}")`,
        );
    }
    return `${PREFIX}${bare}`;
}

/** Parses `<command> <name> [options]`; throws UsageError naming every problem found first. */
export function parseArgs(argv: readonly string[]): Invocation {
    const [command, name, ...rest] = argv;
    if (!(COMMANDS as readonly string[]).includes(command ?? "")) {
        throw new UsageError(`unknown command "${command ?? ""}"`);
    }
    if (name === undefined || name.startsWith("--")) throw new UsageError(`${command} needs a name`);
    let from = "dev";
    let policy = true;
    for (let i = 0; i < rest.length; i++) {
        const option = rest[i];
        if (option === "--from" && command === "create") {
            const value = rest[++i];
            if (value === undefined || value.startsWith("--")) throw new UsageError("--from needs a stack name");
            from = value;
        } else if (option === "--no-policy" && (command === "preview" || command === "up")) {
            policy = false;
        } else {
            throw new UsageError(`unexpected argument "${option}" for ${command}`);
        }
    }
    return { command: command as Command, stack: reviewStackName(name), from, policy };
}

/**
 * The review stack's config: the keys set in the source stack's file (`setKeys`; project defaults stay
 * defaults), with their values from `source` (secrets decrypted, to be encrypted anew), and the namespace.
 */
export function reviewConfig(source: ConfigMap, setKeys: readonly string[], namespace: string): ConfigMap {
    const config: ConfigMap = {};
    for (const key of setKeys) {
        const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
        const value = source[fullKey];
        if (value !== undefined) config[fullKey] = value;
    }
    return { ...config, [`${PROJECT}:namespace`]: { value: namespace, secret: false } };
}

/** Where the leftover check looks, from the stack's config before it is removed. */
export type ClusterAccess =
    | { readonly kind: "kubeconfig"; readonly kubeconfig?: string; readonly context: string }
    /** Target stack: the cluster of another stack, reached through that stack's kubeconfig output. */
    | { readonly kind: "cluster-stack"; readonly clusterStack: string }
    /** The stack owned its GKE cluster: destroying the stack destroyed the cluster. */
    | { readonly kind: "own-cluster" };

/** How to reach the cluster a stack deployed to, given its config (Pulumi.yaml defaults when unset). */
export function clusterAccess(config: ConfigMap): ClusterAccess {
    const get = (key: string) => config[`${PROJECT}:${key}`]?.value;
    if (get("target") === "gke") return { kind: "own-cluster" };
    if (get("target") === "stack") return { kind: "cluster-stack", clusterStack: get("clusterStack") ?? "" };
    const kubeconfig = get("kubeconfig") ?? "";
    return {
        kind: "kubeconfig",
        kubeconfig: kubeconfig === "" ? undefined : kubeconfig,
        context: get("kubeContext") ?? "minikube",
    };
}

/** Something still in the cluster after destroy. */
export interface Leftover {
    readonly kind: string;
    readonly name: string;
    readonly finalizers: readonly string[];
    /** Its deletion has started (deletionTimestamp set) but finalizers hold it. */
    readonly deleting: boolean;
    /** Extra detail, e.g. a PersistentVolume's claim and reclaim policy. */
    readonly detail?: string;
}

/** What the cluster holds of a namespace after destroy. */
export interface NamespaceState {
    /** undefined: the namespace is gone. */
    readonly namespace?: { readonly phase?: string; readonly finalizers: readonly string[] };
    readonly objects: readonly Leftover[];
}

/** The report printed after destroy; `clean` decides the exit code. */
export function leftoverReport(namespace: string, state: NamespaceState): { clean: boolean; lines: string[] } {
    if (state.namespace === undefined && state.objects.length === 0) {
        return { clean: true, lines: [`namespace ${namespace} is gone; nothing was left behind`] };
    }
    const lines =
        state.namespace === undefined
            ? [`namespace ${namespace} is gone, but ${state.objects.length} object(s) of it remain:`]
            : [
                  `namespace ${namespace} still exists (phase ${state.namespace.phase ?? "unknown"}` +
                      `${state.namespace.finalizers.length > 0 ? `, finalizers: ${state.namespace.finalizers.join(", ")}` : ""})` +
                      ` and holds ${state.objects.length} object(s)${state.objects.length > 0 ? ":" : ""}`,
              ];
    for (const o of state.objects) {
        const notes = [
            ...(o.detail === undefined ? [] : [o.detail]),
            ...(o.deleting ? ["being deleted"] : []),
            ...(o.finalizers.length > 0 ? [`held by finalizers: ${o.finalizers.join(", ")}`] : []),
        ];
        lines.push(`  ${o.kind}/${o.name}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`);
    }
    return { clean: false, lines };
}

/** Namespaced kinds the leftover check lists: what the program creates, and the pods they run. */
const NAMESPACED_KINDS: readonly { readonly apiVersion: string; readonly kind: string }[] = [
    { apiVersion: "v1", kind: "Pod" },
    { apiVersion: "v1", kind: "PersistentVolumeClaim" },
    { apiVersion: "v1", kind: "Service" },
    { apiVersion: "v1", kind: "ConfigMap" },
    { apiVersion: "v1", kind: "Secret" },
    { apiVersion: "apps/v1", kind: "Deployment" },
    { apiVersion: "apps/v1", kind: "StatefulSet" },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
    { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
];
/** What Kubernetes itself puts in every namespace. */
const BUILT_IN = new Set(["ConfigMap/kube-root-ca.crt"]);

function summary(kind: string, o: k8s.KubernetesObject, detail?: string): Leftover {
    return {
        kind,
        name: o.metadata?.name ?? "<unnamed>",
        finalizers: o.metadata?.finalizers ?? [],
        deleting: o.metadata?.deletionTimestamp !== undefined,
        detail,
    };
}

/** A client config for the cluster a stack deployed to; a cluster stack's from its kubeconfig output. */
async function kubeConfigOf(
    access: Exclude<ClusterAccess, { kind: "own-cluster" }>,
    workspace: Stack["workspace"],
): Promise<k8s.KubeConfig> {
    const kc = new k8s.KubeConfig();
    if (access.kind === "cluster-stack") {
        // The output the program's StackCluster reads; its current context is the cluster's.
        const outputs = await workspace.stackOutputs(access.clusterStack);
        kc.loadFromString(String(outputs.kubeconfig?.value ?? ""));
        return kc;
    }
    // Like the program's provider, three-tier-app:kubeconfig may hold the file's contents instead of a path.
    if (access.kubeconfig === undefined) kc.loadFromDefault();
    else if (access.kubeconfig.includes("\n")) kc.loadFromString(access.kubeconfig);
    else kc.loadFromFile(access.kubeconfig);
    kc.setCurrentContext(access.context);
    return kc;
}

/** Reads what the cluster still holds of `namespace` (engine-free, but needs a reachable cluster). */
async function namespaceState(kc: k8s.KubeConfig, namespace: string): Promise<NamespaceState> {
    const objects = kc.makeApiClient(k8s.KubernetesObjectApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    let ns: NamespaceState["namespace"];
    try {
        const found = await core.readNamespace({ name: namespace });
        ns = { phase: found.status?.phase, finalizers: found.spec?.finalizers ?? [] };
    } catch (e) {
        if (!(e instanceof k8s.ApiException && e.code === 404)) throw e;
    }
    const leftovers: Leftover[] = [];
    for (const { apiVersion, kind } of NAMESPACED_KINDS) {
        const list = await objects.list(apiVersion, kind, namespace);
        for (const o of list.items) if (!BUILT_IN.has(`${kind}/${o.metadata?.name}`)) leftovers.push(summary(kind, o));
    }
    // Volumes outlive their namespace when their reclaim policy is Retain.
    for (const pv of (await core.listPersistentVolume()).items) {
        const claim = pv.spec?.claimRef;
        if (claim?.namespace !== namespace) continue;
        const detail = `claim ${claim.namespace}/${claim.name}, ${pv.status?.phase ?? "unknown"}, reclaim policy ${pv.spec?.persistentVolumeReclaimPolicy}`;
        leftovers.push(summary("PersistentVolume", pv, detail));
    }
    return { namespace: ns, objects: leftovers };
}

const print = (text: string) => process.stdout.write(text);

async function selectStack(name: string): Promise<Stack> {
    return LocalWorkspace.selectStack({ stackName: name, workDir: REPO_ROOT });
}

/** Runs one invocation against the engine; returns the exit code. */
async function run(invocation: Invocation): Promise<number> {
    const { stack: name } = invocation;
    if (invocation.command === "create") {
        const source = await selectStack(invocation.from);
        const setKeys = Object.keys((await source.workspace.stackSettings(invocation.from)).config ?? {});
        const config = reviewConfig(await source.getAllConfig(), setKeys, name);
        const created = await LocalWorkspace.createStack({ stackName: name, workDir: REPO_ROOT });
        await created.setAllConfig(config);
        console.log(`stack: ${name}\nnamespace: ${name}\ncreated from ${invocation.from}'s config`);
        return 0;
    }
    const stack = await selectStack(name);
    const config = await stack.getAllConfig();
    const namespace = config[`${PROJECT}:namespace`]?.value ?? name;
    console.log(`stack: ${name}\nnamespace: ${namespace}`);
    const policyPacks = invocation.policy ? [POLICY_PACK] : [];
    switch (invocation.command) {
        case "preview":
            await stack.preview({ onOutput: print, policyPacks, diff: true });
            return 0;
        case "up":
            await stack.up({ onOutput: print, policyPacks });
            return 0;
        case "destroy": {
            await stack.destroy({ onOutput: print });
            await stack.workspace.removeStack(name);
            console.log(`destroyed and removed ${name}`);
            const access = clusterAccess(config);
            if (access.kind === "own-cluster") {
                console.log("the stack's GKE cluster was destroyed with it: nothing left to check");
                return 0;
            }
            let state: NamespaceState;
            const where =
                access.kind === "cluster-stack" ? `stack ${access.clusterStack}` : `context ${access.context}`;
            try {
                state = await namespaceState(await kubeConfigOf(access, stack.workspace), namespace);
            } catch (e) {
                console.log(`could not check namespace ${namespace} for leftovers (${where}): ${(e as Error).message}`);
                return 0;
            }
            const report = leftoverReport(namespace, state);
            (report.clean ? console.log : console.error)(report.lines.join("\n"));
            return report.clean ? 0 : 1;
        }
    }
}

export async function main(argv: readonly string[]): Promise<number> {
    let invocation: Invocation;
    try {
        invocation = parseArgs(argv);
    } catch (e) {
        console.error((e as Error).message);
        return 2;
    }
    try {
        return await run(invocation);
    } catch (e) {
        if (e instanceof StackNotFoundError) {
            const missing = invocation.command === "create" ? invocation.from : invocation.stack;
            console.error(
                `no stack named ${missing}${invocation.command === "create" ? "" : `: create it first with \`review-stack create ${invocation.stack}\``}`,
            );
        } else {
            console.error(`review-stack ${invocation.command} ${invocation.stack} failed: ${(e as Error).message}`);
        }
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e) => {
            console.error(e);
            process.exitCode = 1;
        },
    );
}
