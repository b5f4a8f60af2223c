// What a destroyed review stack left in its namespace: a PersistentVolumeClaim held by a finalizer, a
// retained PersistentVolume, a namespace stuck terminating. Read from the cluster after `destroy`; the
// report is pure, so tests call it directly.
import * as k8s from "@kubernetes/client-node";

/** Something still in the cluster after destroy. */
interface Leftover {
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

/** Reads what the cluster `kubeconfig` reaches (its current context) still holds of `namespace`. */
export async function namespaceState(kubeconfig: string, namespace: string): Promise<NamespaceState> {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
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
