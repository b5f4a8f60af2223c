import * as assert from "node:assert/strict";
import { NamedStackResource, sharedClusterViolations } from "../../policy/rules/shared-cluster";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const GUEST = "in a stack that deploys into another stack's cluster (a StackReference)";
const REFERENCE: NamedStackResource = { type: "pulumi:pulumi:StackReference", name: "stack-reference", props: {} };
const NAMESPACE: NamedStackResource = {
    type: "kubernetes:core/v1:Namespace",
    name: "web-namespace",
    props: { metadata: { name: "pr-7" } },
};
const DEPLOYMENT: NamedStackResource = {
    type: "kubernetes:apps/v1:Deployment",
    name: "web-backend",
    props: { metadata: { name: "backend", namespace: "pr-7" } },
};
const VOLUME: NamedStackResource = {
    type: "kubernetes:core/v1:PersistentVolume",
    name: "web-redis-volume",
    props: { metadata: { name: "pr-7-redis-data" } },
};
const DISK: NamedStackResource = { type: "gcp:compute/disk:Disk", name: "gke-data", props: {} };

describe("policy: a stack in another stack's cluster stays in its namespace", () => {
    const cases: [string, NamedStackResource[], string[]][] = [
        ["a review stack as the program makes it", [REFERENCE, NAMESPACE, DEPLOYMENT], []],
        [
            "the StackCluster component alone marks a guest too",
            [{ type: "three-tier-app:index:StackCluster", name: "stack", props: {} }, DISK],
            [`gcp:compute/disk:Disk gke-data ${GUEST}: cloud resources are the cluster stack's; create none here`],
        ],
        ["a stack that owns its cluster may create cluster-level things", [NAMESPACE, VOLUME, DISK], []],
        [
            "a cloud resource",
            [REFERENCE, NAMESPACE, DISK],
            [`gcp:compute/disk:Disk gke-data ${GUEST}: cloud resources are the cluster stack's; create none here`],
        ],
        [
            "a cluster-level Kubernetes object",
            [REFERENCE, NAMESPACE, VOLUME],
            [
                `kubernetes:core/v1:PersistentVolume web-redis-volume is cluster-level ${GUEST}: only the stack's ` +
                    "namespace and what is in it may be created; give it a namespace or leave it to the cluster's stack",
            ],
        ],
        [
            "a namespace unknown during preview is a namespace",
            [
                REFERENCE,
                NAMESPACE,
                { ...DEPLOYMENT, props: previewProps({ metadata: { name: "backend", namespace: UNKNOWN_STRING } }) },
            ],
            [],
        ],
        [
            "a second Namespace",
            [REFERENCE, NAMESPACE, { ...NAMESPACE, name: "other-namespace" }],
            [`2 Namespaces ${GUEST} (web-namespace, other-namespace): a guest stack has one`],
        ],
        [
            "a protected resource",
            [REFERENCE, NAMESPACE, { ...DEPLOYMENT, opts: { protect: true } }, { ...NAMESPACE, name: "x", opts: {} }],
            [
                `2 Namespaces ${GUEST} (web-namespace, x): a guest stack has one`,
                `kubernetes:apps/v1:Deployment web-backend is protected ${GUEST}: pulumi destroy must remove the ` +
                    "whole namespace; protection belongs to the cluster's stack",
            ],
        ],
    ];
    for (const [title, resources, expected] of cases) {
        it(title, () => assert.deepEqual(sharedClusterViolations(resources), expected));
    }
});
