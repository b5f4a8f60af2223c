import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { tokenKubeconfig } from "./kubeconfig";
import { appLabels, PodPlacement } from "./workload";

/** Review stacks deploy into namespaces `pr-<number>` of the cluster that declares ReviewAccess. */
export const REVIEW_NAMESPACE_PREFIX = "pr-";
/** The two ClusterRoles: what the review identity may do cluster-wide, and inside a review namespace. */
export const REVIEW_ROLES = { cluster: "three-tier-review", namespace: "three-tier-review-namespace" } as const;
/** Where a review identity that is a Kubernetes ServiceAccount lives (clusters without an outside IAM). */
export const REVIEW_IDENTITY_NAMESPACE = "three-tier-review";
/** Name of the RoleBinding a review stack makes in its own namespace (ThreeTierApp.namespaceAccess). */
export const REVIEW_ROLE_BINDING = "three-tier-review";

/**
 * Who deploys review stacks: on GKE an IAM service account, which the API server names by its email; on a
 * cluster without such an identity (the local one), a ServiceAccount that this component creates.
 */
export type ReviewIdentity = { readonly user: string } | { readonly serviceAccount: string };

/** An RBAC subject, as RoleBindings name it. */
export interface ReviewSubject {
    readonly kind: "User" | "ServiceAccount";
    readonly name: string;
    readonly namespace?: string;
    readonly apiGroup?: string;
}

/**
 * Where review pods run when they have nodes of their own: the label those nodes carry and the taint that
 * keeps every other pod off them (one key and value for both).
 */
export const REVIEW_NODES = { key: "three-tier-app/review-nodes", value: "true" } as const;

/** The pods of review stacks select REVIEW_NODES and tolerate their taint. */
export const REVIEW_PLACEMENT: PodPlacement = {
    nodeSelector: { [REVIEW_NODES.key]: REVIEW_NODES.value },
    tolerations: [{ key: REVIEW_NODES.key, operator: "Equal", value: REVIEW_NODES.value, effect: "NoSchedule" }],
};

/** What a review stack needs: its identity's namespace role, and where its pods must run (if anywhere). */
export interface NamespaceAccess {
    readonly clusterRole: string;
    readonly subject: ReviewSubject;
    readonly placement?: PodPlacement;
}

export interface ReviewAccessArgs {
    /** Value of `app.kubernetes.io/instance` on every object: the stack that hosts the review stacks. */
    readonly instance: string;
    /** The review identity. Required. */
    readonly identity: ReviewIdentity;
    /**
     * The API server's URL, for the kubeconfig of a ServiceAccount identity (`kubeconfig`). Required with
     * `identity.serviceAccount`, unused with `identity.user`, whose kubeconfig is the cluster's own.
     */
    readonly server?: string;
    /**
     * Review pods run only on nodes labelled and tainted REVIEW_NODES (the cluster's stack makes them), away
     * from the nodes that hold the owner's app. Default: false (any node).
     */
    readonly dedicatedNodes?: boolean;
}

const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ_VERBS = ["get", "list", "watch"];

export function reviewSubject(identity: ReviewIdentity): ReviewSubject {
    return "user" in identity
        ? { kind: "User", name: identity.user, apiGroup: "rbac.authorization.k8s.io" }
        : { kind: "ServiceAccount", name: identity.serviceAccount, namespace: REVIEW_IDENTITY_NAMESPACE };
}

/** The name the API server gives a subject in `request.userInfo.username`. */
export function usernameOf(subject: ReviewSubject): string {
    return subject.kind === "User" ? subject.name : `system:serviceaccount:${subject.namespace}:${subject.name}`;
}

/**
 * Cluster-wide rights: create and remove its namespaces (the confinement policy keeps that to `pr-*`), read
 * StorageClasses (the Kubernetes provider reads the claim's class to learn whether it binds only once a pod
 * uses it: without that, the first `up` on a WaitForFirstConsumer class waits for a claim that cannot bind),
 * and create the RoleBinding that gives it the namespace role, which `bind` limits to that role. Nothing
 * here reads an object inside a namespace.
 */
export function clusterRules(): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["namespaces"], verbs: ALL_VERBS },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: READ_VERBS },
        // The provider creates by server-side apply, a patch; the confinement policy keeps it to pr-*.
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create", "patch"] },
        {
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["clusterroles"],
            verbs: ["bind"],
            resourceNames: [REVIEW_ROLES.namespace],
        },
    ];
}

/** Rights inside one review namespace, given there by the review stack's RoleBinding: the app's objects. */
export function namespaceRules(): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        {
            apiGroups: [""],
            resources: ["services", "configmaps", "secrets", "persistentvolumeclaims", "pods"],
            verbs: ALL_VERBS,
        },
        { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: ALL_VERBS },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ALL_VERBS },
        { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ALL_VERBS },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["get", "list", "watch"] },
        // What the provider's awaits and a reviewer's kubectl read.
        {
            apiGroups: ["", "apps", "discovery.k8s.io"],
            resources: ["endpoints", "endpointslices", "events", "replicasets", "controllerrevisions", "pods/log"],
            verbs: READ_VERBS,
        },
        // Reviewers reach the app with `kubectl port-forward`.
        { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create"] },
    ];
}

/** A CEL string literal. */
const cel = (s: string) => JSON.stringify(s);

/**
 * Keeps every change the review identity makes inside namespaces `pr-*` (RBAC cannot say "namespaces
 * matching a prefix"), and its RoleBindings to the namespace role for itself.
 */
export function confinementPolicy(
    subject: ReviewSubject,
): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
    const prefix = cel(REVIEW_NAMESPACE_PREFIX);
    const sameSubject =
        `s.kind == ${cel(subject.kind)} && s.name == ${cel(subject.name)}` +
        (subject.namespace === undefined ? "" : ` && s.namespace == ${cel(subject.namespace)}`);
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            resourceRules: [
                {
                    apiGroups: ["*"],
                    apiVersions: ["*"],
                    resources: ["*/*"],
                    operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"],
                },
            ],
            // Access reviews (`kubectl auth can-i`) and token reviews change nothing.
            excludeResourceRules: [
                {
                    apiGroups: ["authorization.k8s.io", "authentication.k8s.io"],
                    apiVersions: ["*"],
                    resources: ["*"],
                    operations: ["CREATE"],
                },
            ],
        },
        matchConditions: [
            { name: "review-identity", expression: `request.userInfo.username == ${cel(usernameOf(subject))}` },
        ],
        variables: [
            {
                name: "target",
                expression:
                    "request.resource.group == '' && request.resource.resource == 'namespaces' ? " +
                    "(object != null ? object : oldObject).metadata.name : request.namespace",
            },
        ],
        validations: [
            {
                expression: `variables.target.startsWith(${prefix})`,
                messageExpression:
                    `"the review identity may change only namespaces ${REVIEW_NAMESPACE_PREFIX}*, not " + ` +
                    `(variables.target == "" ? "cluster-level " + request.resource.resource : "namespace " + variables.target)`,
            },
            {
                expression:
                    "request.resource.resource != 'rolebindings' || request.operation == 'DELETE' || " +
                    `(object.roleRef.kind == 'ClusterRole' && object.roleRef.name == ${cel(REVIEW_ROLES.namespace)} && ` +
                    `object.subjects.all(s, ${sameSubject}))`,
                message: `the review identity may bind only ClusterRole ${REVIEW_ROLES.namespace}, and only to itself`,
            },
        ],
    };
}

/** A review namespace's pods as a workload declares them (the pod spec of a Pod, or of a template). */
const POD_SPEC =
    "request.resource.resource == 'pods' ? object.spec : " +
    "(request.resource.resource == 'cronjobs' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)";
const IS_NAMESPACE = "request.resource.resource == 'namespaces'";

/**
 * For everyone, in namespaces `pr-*`: the namespace enforces Pod Security `restricted` (a review stack's
 * program labels its own namespace, so the label alone is the PR's to choose), and no workload asks for
 * the node (host namespaces, host paths, privileged containers). Workloads are refused when they are
 * declared, so a bad one fails `pulumi up` at once instead of leaving a Deployment without pods.
 */
export function reviewNamespacePolicy(
    dedicatedNodes: boolean,
): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
    const containers = (field: string) =>
        `!has(variables.pod.${field}) || variables.pod.${field}.all(c, ` +
        "!has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)";
    const hostFlag = (field: string) => `!(has(variables.pod.${field}) && variables.pod.${field})`;
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            resourceRules: [
                {
                    apiGroups: [""],
                    apiVersions: ["v1"],
                    resources: ["namespaces", "pods"],
                    operations: ["CREATE", "UPDATE"],
                },
                {
                    apiGroups: ["apps"],
                    apiVersions: ["v1"],
                    resources: ["deployments", "statefulsets", "daemonsets", "replicasets"],
                    operations: ["CREATE", "UPDATE"],
                },
                {
                    apiGroups: ["batch"],
                    apiVersions: ["v1"],
                    resources: ["jobs", "cronjobs"],
                    operations: ["CREATE", "UPDATE"],
                },
            ],
        },
        matchConditions: [
            {
                name: "review-namespace",
                expression: `(${IS_NAMESPACE} ? object.metadata.name : request.namespace).startsWith(${cel(REVIEW_NAMESPACE_PREFIX)})`,
            },
        ],
        variables: [{ name: "pod", expression: POD_SPEC }],
        validations: [
            {
                expression:
                    `!(${IS_NAMESPACE}) || (has(object.metadata.labels) && ` +
                    "object.metadata.labels.exists(k, k == 'pod-security.kubernetes.io/enforce' && " +
                    "object.metadata.labels[k] == 'restricted'))",
                message: `namespaces ${REVIEW_NAMESPACE_PREFIX}* enforce Pod Security restricted (pod-security.kubernetes.io/enforce=restricted)`,
            },
            {
                expression: `${IS_NAMESPACE} || (${hostFlag("hostNetwork")} && ${hostFlag("hostPID")} && ${hostFlag("hostIPC")})`,
                message: `pods in namespaces ${REVIEW_NAMESPACE_PREFIX}* may not use the node's network, PID or IPC namespace`,
            },
            {
                expression: `${IS_NAMESPACE} || !has(variables.pod.volumes) || variables.pod.volumes.all(v, !has(v.hostPath))`,
                message: `pods in namespaces ${REVIEW_NAMESPACE_PREFIX}* may not mount hostPath volumes`,
            },
            {
                expression: `${IS_NAMESPACE} || ((${containers("containers")}) && (${containers("initContainers")}))`,
                message: `containers in namespaces ${REVIEW_NAMESPACE_PREFIX}* may not be privileged`,
            },
            ...(dedicatedNodes
                ? [
                      {
                          expression:
                              `${IS_NAMESPACE} || (has(variables.pod.nodeSelector) && ` +
                              `variables.pod.nodeSelector.exists(k, k == ${cel(REVIEW_NODES.key)} && ` +
                              `variables.pod.nodeSelector[k] == ${cel(REVIEW_NODES.value)}))`,
                          message:
                              `pods in namespaces ${REVIEW_NAMESPACE_PREFIX}* run on the review nodes ` +
                              `(nodeSelector ${REVIEW_NODES.key}: "${REVIEW_NODES.value}")`,
                      },
                  ]
                : []),
        ],
    };
}

/**
 * The Kubernetes half of review stacks, declared by the stack that owns the cluster: the review identity
 * may create namespaces `pr-*` and the app in them, and nothing outside them; inside, its pods cannot
 * reach the node. It reads nothing of the other namespaces (the owner's app, its Secrets).
 */
export class ReviewAccess extends pulumi.ComponentResource {
    /** What review stacks read through their StackReference to bind the namespace role to the identity. */
    public readonly namespaceAccess: NamespaceAccess;
    /** Secret: the ServiceAccount identity's kubeconfig (a long-lived token); absent for a user identity. */
    public readonly kubeconfig?: pulumi.Output<string>;

    constructor(name: string, args: ReviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:ReviewAccess", name, {}, opts);
        const childOpts = { parent: this };
        const subject = reviewSubject(args.identity);
        const labels = { ...appLabels(args.instance), "app.kubernetes.io/component": "review-access" };
        const metadata = (objectName: string) => ({ name: objectName, labels });

        if ("serviceAccount" in args.identity) {
            if (args.server === undefined)
                throw new Error("ReviewAccessArgs.server is required with a serviceAccount identity");
            const namespace = new k8s.core.v1.Namespace(
                `${name}-identity`,
                { metadata: metadata(REVIEW_IDENTITY_NAMESPACE) },
                childOpts,
            );
            const account = new k8s.core.v1.ServiceAccount(
                `${name}-identity`,
                {
                    metadata: { ...metadata(subject.name), namespace: namespace.metadata.name },
                    automountServiceAccountToken: false,
                },
                childOpts,
            );
            // The provider waits until the token controller has filled the Secret in.
            const token = new k8s.core.v1.Secret(
                `${name}-token`,
                {
                    metadata: {
                        ...metadata(`${subject.name}-token`),
                        namespace: namespace.metadata.name,
                        annotations: { "kubernetes.io/service-account.name": account.metadata.name },
                    },
                    type: "kubernetes.io/service-account-token",
                },
                childOpts,
            );
            const server = args.server;
            this.kubeconfig = pulumi.secret(
                token.data.apply((data) =>
                    tokenKubeconfig({
                        name: `review@${REVIEW_IDENTITY_NAMESPACE}`,
                        server,
                        caData: data["ca.crt"],
                        token: Buffer.from(data.token, "base64").toString(),
                    }),
                ),
            );
        }

        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster`,
            { metadata: metadata(REVIEW_ROLES.cluster), rules: clusterRules() },
            childOpts,
        );
        new k8s.rbac.v1.ClusterRole(
            `${name}-namespace`,
            { metadata: metadata(REVIEW_ROLES.namespace), rules: namespaceRules() },
            childOpts,
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster`,
            {
                metadata: metadata(REVIEW_ROLES.cluster),
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: clusterRole.metadata.name,
                },
                subjects: [subject],
            },
            childOpts,
        );
        const policies = {
            "three-tier-review-confinement": confinementPolicy(subject),
            "three-tier-review-namespaces": reviewNamespacePolicy(args.dedicatedNodes ?? false),
        };
        for (const [policyName, spec] of Object.entries(policies)) {
            const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                `${name}-${policyName}`,
                { metadata: metadata(policyName), spec },
                childOpts,
            );
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                `${name}-${policyName}`,
                {
                    metadata: metadata(policyName),
                    spec: { policyName: policy.metadata.name, validationActions: ["Deny"] },
                },
                childOpts,
            );
        }

        this.namespaceAccess = {
            clusterRole: REVIEW_ROLES.namespace,
            subject,
            ...(args.dedicatedNodes ? { placement: REVIEW_PLACEMENT } : {}),
        };
        this.registerOutputs({ namespaceAccess: this.namespaceAccess, kubeconfig: this.kubeconfig });
    }
}
