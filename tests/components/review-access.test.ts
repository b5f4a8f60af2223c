import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    clusterRules,
    confinementPolicy,
    namespaceRules,
    REVIEW_IDENTITY_NAMESPACE,
    REVIEW_ROLES,
    ReviewAccess,
    reviewNamespacePolicy,
    reviewSubject,
    usernameOf,
} from "../../components/review-access";
import { byKubeName, ofType, runUnderMocks, unwrap } from "../helpers/mocks";

const REVIEWER = "three-tier-review@my-gcp-project.iam.gserviceaccount.com";
const RBAC = {
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
};
const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const POLICY_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
/** Resources that exist outside namespaces: a cluster-wide grant on these reads nothing inside one. */
const CLUSTER_SCOPED = new Set(["namespaces", "storageclasses", "clusterroles"]);

describe("ReviewAccess", () => {
    describe("the review identity's subject and name", () => {
        const cases = [
            {
                identity: { user: REVIEWER },
                subject: { kind: "User", name: REVIEWER, apiGroup: "rbac.authorization.k8s.io" },
                username: REVIEWER,
            },
            {
                identity: { serviceAccount: "reviewer" },
                subject: { kind: "ServiceAccount", name: "reviewer", namespace: REVIEW_IDENTITY_NAMESPACE },
                username: `system:serviceaccount:${REVIEW_IDENTITY_NAMESPACE}:reviewer`,
            },
        ];
        for (const c of cases) {
            it(JSON.stringify(c.identity), () => {
                assert.deepEqual(reviewSubject(c.identity), c.subject);
                assert.equal(usernameOf(reviewSubject(c.identity)), c.username);
            });
        }
    });

    it("cluster-wide, reads only cluster-scoped objects and may bind only the namespace role", () => {
        for (const rule of clusterRules()) {
            for (const resource of rule.resources as string[]) {
                const writesOnly = (rule.verbs as string[]).every((v) => v === "create" || v === "patch");
                assert.ok(CLUSTER_SCOPED.has(resource) || writesOnly, `${resource}: ${String(rule.verbs)}`);
            }
        }
        // The Kubernetes provider reads the claim's class to learn whether it binds before a pod uses it.
        assert.ok(
            clusterRules().some(
                (r) => (r.resources as string[]).includes("storageclasses") && (r.verbs as string[]).includes("get"),
            ),
        );
        assert.deepEqual(
            clusterRules().filter((r) => (r.verbs as string[]).includes("bind")),
            [
                {
                    apiGroups: ["rbac.authorization.k8s.io"],
                    resources: ["clusterroles"],
                    verbs: ["bind"],
                    resourceNames: [REVIEW_ROLES.namespace],
                },
            ],
        );
    });

    it("inside its namespace may manage the app's objects, and grants no RBAC change beyond reading bindings", () => {
        const granted = namespaceRules().flatMap((r) =>
            (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((v) => `${v} ${res}`)),
        );
        for (const needed of [
            "create deployments",
            "patch statefulsets",
            "delete services",
            "create pods/portforward",
        ]) {
            assert.ok(granted.includes(needed), needed);
        }
        assert.deepEqual(
            granted.filter((g) => g.endsWith(" rolebindings")),
            ["get rolebindings", "list rolebindings", "watch rolebindings"],
        );
        assert.ok(!granted.some((g) => g.endsWith(" roles") || g.endsWith(" clusterroles")));
    });

    it("confines the identity by its API-server name, with names quoted as CEL strings", () => {
        const spec = confinementPolicy({ kind: "User", name: 'a"b@example.com' });
        assert.deepEqual(spec.matchConditions, [
            { name: "review-identity", expression: 'request.userInfo.username == "a\\"b@example.com"' },
        ]);
        assert.equal(spec.failurePolicy, "Fail");
        const expressions = (spec.validations as { expression: string }[]).map((v) => v.expression).join("\n");
        assert.match(expressions, /variables\.target\.startsWith\("pr-"\)/);
        assert.match(expressions, /s\.kind == "User" && s\.name == "a\\"b@example\.com"/);
    });

    it("refuses, in pr-* namespaces, a namespace below restricted and pods that use the node", () => {
        const spec = reviewNamespacePolicy(false);
        const messages = (spec.validations as { message: string }[]).map((v) => v.message);
        assert.deepEqual(messages, [
            "namespaces pr-* enforce Pod Security restricted (pod-security.kubernetes.io/enforce=restricted)",
            "pods in namespaces pr-* may not use the node's network, PID or IPC namespace",
            "pods in namespaces pr-* may not mount hostPath volumes",
            "containers in namespaces pr-* may not be privileged",
        ]);
        // With nodes of their own, review pods must select them.
        const dedicated = reviewNamespacePolicy(true).validations as { message: string; expression: string }[];
        assert.deepEqual(
            dedicated.slice(0, 4).map((v) => v.message),
            messages,
        );
        assert.equal(
            dedicated[4].message,
            'pods in namespaces pr-* run on the review nodes (nodeSelector three-tier-app/review-nodes: "true")',
        );
        assert.match(dedicated[4].expression, /variables\.pod\.nodeSelector\[k\] == "true"/);
        assert.equal(spec.failurePolicy, "Fail");
    });

    it("declares both roles, the cluster binding for a user identity and both policies, bound to deny", async () => {
        const { resources, result } = await runUnderMocks(
            () => new ReviewAccess("review", { instance: "gke", identity: { user: REVIEWER } }),
        );
        assert.deepEqual(
            ofType(resources, RBAC.clusterRole)
                .map((r) => r.kubeName)
                .sort(),
            [REVIEW_ROLES.cluster, REVIEW_ROLES.namespace],
        );
        const binding = byKubeName(resources, RBAC.clusterRoleBinding, REVIEW_ROLES.cluster).inputs;
        assert.deepEqual(binding.subjects, [{ kind: "User", name: REVIEWER, apiGroup: "rbac.authorization.k8s.io" }]);
        assert.equal(binding.roleRef.name, REVIEW_ROLES.cluster);
        const policies = ofType(resources, POLICY)
            .map((r) => r.kubeName)
            .sort();
        assert.deepEqual(policies, ["three-tier-review-confinement", "three-tier-review-namespaces"]);
        assert.deepEqual(
            ofType(resources, POLICY_BINDING).map((b) => [b.inputs.spec.policyName, b.inputs.spec.validationActions]),
            policies.map((p) => [p, ["Deny"]]),
        );
        assert.equal(result.namespaceAccess.placement, undefined, "no dedicated nodes: any node");
        // A user identity is the cloud's: nothing to create for it, no kubeconfig to hand out.
        assert.equal(ofType(resources, "kubernetes:core/v1:ServiceAccount").length, 0);
    });

    it("with dedicated nodes, tells review stacks to select and tolerate them", async () => {
        const { result } = await runUnderMocks(
            () => new ReviewAccess("review", { instance: "gke", identity: { user: REVIEWER }, dedicatedNodes: true }),
        );
        assert.deepEqual(result.namespaceAccess.placement, {
            nodeSelector: { "three-tier-app/review-nodes": "true" },
            tolerations: [
                { key: "three-tier-app/review-nodes", operator: "Equal", value: "true", effect: "NoSchedule" },
            ],
        });
    });

    it("for a ServiceAccount identity, creates it and exports a kubeconfig acting as it", async () => {
        const server = "https://172.31.255.2:16443";
        const { resources, result } = await runUnderMocks(
            () => new ReviewAccess("review", { instance: "local", identity: { serviceAccount: "reviewer" }, server }),
        );
        const token = byKubeName(resources, "kubernetes:core/v1:Secret", "reviewer-token").inputs;
        assert.equal(token.type, "kubernetes.io/service-account-token");
        assert.equal(token.metadata.annotations["kubernetes.io/service-account.name"], "reviewer");
        assert.equal(token.metadata.namespace, REVIEW_IDENTITY_NAMESPACE);
        assert.deepEqual(
            byKubeName(resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", REVIEW_ROLES.cluster)
                .inputs.subjects,
            [{ kind: "ServiceAccount", name: "reviewer", namespace: REVIEW_IDENTITY_NAMESPACE }],
        );
        assert.ok(result.kubeconfig, "a kubeconfig output");
        assert.equal(await pulumi.isSecret(result.kubeconfig), true, "a secret: it holds a long-lived token");
        const kubeconfig = JSON.parse(await unwrap(result.kubeconfig));
        assert.equal(kubeconfig.clusters[0].cluster.server, server);
        assert.deepEqual(kubeconfig.users[0].user, { token: "token-of-reviewer-token" });
        assert.equal(kubeconfig.clusters[0].cluster["certificate-authority-data"], "Q0EtREFUQQ==");
    });

    it("refuses a ServiceAccount identity without the server its kubeconfig names", async () => {
        await assert.rejects(
            runUnderMocks(
                () => new ReviewAccess("review", { instance: "local", identity: { serviceAccount: "reviewer" } }),
            ),
            { message: "ReviewAccessArgs.server is required with a serviceAccount identity" },
        );
    });
});
