// Issue 17: the Kubernetes half of review stacks, proven on the local cluster under the review identity.
// A host stack (target kubeconfig, reviewStacks) declares ReviewAccess as gke does, with a ServiceAccount as
// the identity GKE would take from IAM; a review stack `pr-*` (target stack, as the workflow makes it) reaches
// the cluster only through the host's kubeconfig output, which acts as that identity. The default
// StorageClass binds on first use (WaitForFirstConsumer), as GKE's standard-rwo does.
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../../project";
import { REVIEW_IDENTITY_NAMESPACE, REVIEW_NAMESPACE_PREFIX } from "../../components/review-access";
import { clusterFromEnv, describeNode, kubectl, localStackConfig, nodeFromEnv } from "../../tools/engine/cluster";
import { createGuestStack, createStack, removeStack, uniqueName } from "../../tools/engine/stacks";
import { isNotFound, kubeClients, waitUntil } from "../helpers/engine";

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
/** The local cluster's own default class (tools/local-cluster), which binds at once. */
const IMMEDIATE_CLASS = "standard";
const FIRST_CONSUMER_CLASS = "e2e-first-consumer";

/** kubectl as the review identity, with `manifest` on stdin; returns stdout, or throws what the API server said. */
function asReviewer(kubeconfigFile: string, args: string[], manifest?: object): string {
    try {
        return execFileSync(process.env.KUBECTL ?? "kubectl", ["--kubeconfig", kubeconfigFile, ...args], {
            encoding: "utf8",
            input: manifest === undefined ? "" : JSON.stringify(manifest),
            stdio: ["pipe", "pipe", "pipe"],
            timeout: 60_000,
        });
    } catch (e) {
        throw new Error(String((e as { stderr?: string }).stderr ?? e));
    }
}

/** Applies a manifest as the review identity. */
const applyAsReviewer = (kubeconfigFile: string, manifest: object) =>
    asReviewer(kubeconfigFile, ["apply", "-f", "-"], manifest);

describe("engine: a review stack deploys as the review identity, confined to its namespace (issue 17)", function () {
    this.timeout(15 * 60_000);
    const cluster = clusterFromEnv();
    const node = nodeFromEnv();
    const kube = kubeClients(cluster);
    const hostNamespace = uniqueName("review-host");
    const reviewNamespace = uniqueName(`${REVIEW_NAMESPACE_PREFIX}e2e`);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "three-tier-review-"));
    const reviewKubeconfig = path.join(workDir, "kubeconfig");
    let host: Stack | undefined;
    let review: Stack | undefined;

    before(async function () {
        console.log(`      ${describeNode(node)}`);
        // GKE's default class binds a claim only once a pod uses it: the same here, for this file's run.
        kubectl(
            cluster,
            "annotate",
            "storageclass",
            IMMEDIATE_CLASS,
            `${DEFAULT_CLASS_ANNOTATION}=false`,
            "--overwrite",
        );
        const firstConsumer = {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: FIRST_CONSUMER_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
            provisioner: "kubernetes.io/host-path",
            reclaimPolicy: "Delete",
            volumeBindingMode: "WaitForFirstConsumer",
        };
        fs.writeFileSync(path.join(workDir, "class.json"), JSON.stringify(firstConsumer));
        kubectl(cluster, "apply", "-f", path.join(workDir, "class.json"));

        host = await createStack(uniqueName("review-host"), cluster, hostNamespace, {
            ...localStackConfig(),
            reviewStacks: "true",
            frontendReplicas: "1",
            backendReplicas: "1",
        });
        await host.up({ onOutput: () => {} });
        const outputs = await host.outputs();
        fs.writeFileSync(reviewKubeconfig, String(outputs.kubeconfig.value), { mode: 0o600 });
    });

    after(async function () {
        if (review) await removeStack(review);
        if (host) await removeStack(host);
        kubectl(cluster, "delete", "storageclass", FIRST_CONSUMER_CLASS, "--ignore-not-found");
        kubectl(
            cluster,
            "annotate",
            "storageclass",
            IMMEDIATE_CLASS,
            `${DEFAULT_CLASS_ANNOTATION}=true`,
            "--overwrite",
        );
        fs.rmSync(workDir, { recursive: true, force: true });
    });

    it("the host's kubeconfig output acts as the review ServiceAccount", function () {
        const whoami = JSON.parse(asReviewer(reviewKubeconfig, ["auth", "whoami", "-o", "json"]));
        assert.equal(whoami.status.userInfo.username, `system:serviceaccount:${REVIEW_IDENTITY_NAMESPACE}:reviewer`);
    });

    it("a review stack's `up` succeeds with its claim on the first-consumer class, and its pods run", async function () {
        review = await createGuestStack(reviewNamespace, `organization/${PROJECT}/${host!.name}`, reviewNamespace, {
            frontendServiceType: "ClusterIP",
            frontendReplicas: "1",
            backendReplicas: "1",
            redisStorageSize: "1Gi",
        });
        const result = await review.up({ onOutput: () => {} });
        assert.equal(result.summary.result, "succeeded");

        const claim = await kube.core.readNamespacedPersistentVolumeClaim({
            name: "redis-data",
            namespace: reviewNamespace,
        });
        assert.equal(claim.spec?.storageClassName, FIRST_CONSUMER_CLASS);
        assert.equal(claim.status?.phase, "Bound");
        const pods = (await kube.core.listNamespacedPod({ namespace: reviewNamespace })).items;
        assert.deepEqual(pods.map((p) => p.metadata?.labels?.["app.kubernetes.io/component"]).sort(), [
            "backend",
            "database",
            "frontend",
        ]);
        for (const pod of pods) {
            const ready = pod.status?.conditions?.find((c) => c.type === "Ready")?.status;
            assert.equal(ready, "True", `pod ${pod.metadata?.name} Ready`);
            if (node.mode === "real") {
                assert.ok(
                    pod.status?.containerStatuses?.every((c) => c.state?.running !== undefined),
                    `pod ${pod.metadata?.name}: its containers run on the real node`,
                );
            }
        }
    });

    it("the review identity reads nothing in the host's namespace, Secrets least", function () {
        // `auth can-i` answers on stdout, and exits 1 for "no".
        const can = (...args: string[]) =>
            spawnSync(process.env.KUBECTL ?? "kubectl", ["--kubeconfig", reviewKubeconfig, "auth", "can-i", ...args], {
                encoding: "utf8",
                timeout: 60_000,
            }).stdout.trim();
        // Inside its own namespace it may (the control that makes the refusals below mean something).
        assert.equal(can("get", "pods", "-n", reviewNamespace), "yes");
        for (const resource of ["pods", "secrets", "configmaps", "services", "deployments.apps"]) {
            assert.equal(can("get", resource, "-n", hostNamespace), "no", `get ${resource} in ${hostNamespace}`);
            assert.equal(can("list", resource, "--all-namespaces"), "no", `list ${resource} everywhere`);
        }
        assert.throws(() => asReviewer(reviewKubeconfig, ["get", "secrets", "-n", hostNamespace]), /forbidden/i);
    });

    it("the API server refuses a privileged namespace, hostNetwork pods and namespaces outside pr-*", function () {
        assert.throws(
            () =>
                asReviewer(reviewKubeconfig, [
                    "label",
                    "namespace",
                    reviewNamespace,
                    "pod-security.kubernetes.io/enforce=privileged",
                    "--overwrite",
                ]),
            /enforce Pod Security restricted/,
        );
        const hostNetworkPod = {
            metadata: { labels: { app: "host-network" } },
            spec: { hostNetwork: true, containers: [{ name: "c", image: "registry.invalid/none" }] },
        };
        // A pod: Pod Security (restricted, which the namespace must keep) refuses it before the policy does.
        assert.throws(
            () =>
                applyAsReviewer(reviewKubeconfig, {
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: { name: "host-network", namespace: reviewNamespace },
                    spec: hostNetworkPod.spec,
                }),
            /hostNetwork=true/,
        );
        // A Deployment, which Pod Security only warns about: the policy refuses it when it is declared.
        assert.throws(
            () =>
                applyAsReviewer(reviewKubeconfig, {
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata: { name: "host-network", namespace: reviewNamespace },
                    spec: { selector: { matchLabels: { app: "host-network" } }, template: hostNetworkPod },
                }),
            /may not use the node's network/,
        );
        assert.throws(
            () =>
                applyAsReviewer(reviewKubeconfig, {
                    apiVersion: "v1",
                    kind: "Namespace",
                    metadata: {
                        name: uniqueName("escape"),
                        labels: { "pod-security.kubernetes.io/enforce": "restricted" },
                    },
                }),
            /may change only namespaces pr-\*/,
        );
        assert.throws(
            () => asReviewer(reviewKubeconfig, ["delete", "namespace", hostNamespace, "--wait=false"]),
            /may change only namespaces pr-\*/,
        );
    });

    it("`destroy` removes the review namespace", async function () {
        await review!.destroy({ onOutput: () => {} });
        await waitUntil(
            `namespace ${reviewNamespace} gone`,
            () => isNotFound(() => kube.core.readNamespace({ name: reviewNamespace })),
            120,
        );
    });
});
