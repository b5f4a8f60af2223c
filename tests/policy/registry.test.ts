import * as assert from "node:assert/strict";
import { registryImageViolations } from "../../policy/rules/registry";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const DIGEST = `@sha256:${"d".repeat(64)}`;
const OWN = "us-central1-docker.pkg.dev/my-project/three-tier-app";
const CLUSTER = { type: "gcp:container/cluster:Cluster", props: {} };
const REPOSITORY = {
    type: "gcp:artifactregistry/repository:Repository",
    props: { project: "my-project", location: "us-central1", repositoryId: "three-tier-app" },
};
const REFERENCE = { type: "pulumi:pulumi:StackReference", props: {} };
const deployment = (image: string) => ({
    type: "kubernetes:apps/v1:Deployment",
    props: { metadata: { name: "backend" }, spec: { template: { spec: { containers: [{ name: "app", image }] } } } },
});
const refused = (image: string, where = `the stack's repository ${OWN}/`) =>
    `Deployment/backend container "app" image "${image}" is not pinned by digest in ${where}: deploy the image the program builds`;

describe("policy: on GKE, images are pinned by digest in the stack's Artifact Registry repository", () => {
    const cases: [string, object[], string[]][] = [
        ["gke running the image it built", [CLUSTER, REPOSITORY, deployment(`${OWN}/backend${DIGEST}`)], []],
        [
            "gke running a tag from its own repository",
            [CLUSTER, REPOSITORY, deployment(`${OWN}/backend:v0.4.0`)],
            [refused(`${OWN}/backend:v0.4.0`)],
        ],
        [
            "gke running the tutorial's image from Docker Hub",
            [CLUSTER, REPOSITORY, deployment("c1524db4f1/kubernetes-tutorial-backend:v0.3.0")],
            [refused("c1524db4f1/kubernetes-tutorial-backend:v0.3.0")],
        ],
        [
            "gke running a digest from another project's repository",
            [CLUSTER, REPOSITORY, deployment(`us-central1-docker.pkg.dev/other/three-tier-app/backend${DIGEST}`)],
            [refused(`us-central1-docker.pkg.dev/other/three-tier-app/backend${DIGEST}`)],
        ],
        [
            "gke without a repository",
            [CLUSTER, deployment(`${OWN}/backend${DIGEST}`)],
            ["the stack has a GKE cluster but no Artifact Registry repository for the images it runs"],
        ],
        ["a review stack running gke's image", [REFERENCE, deployment(`${OWN}/backend${DIGEST}`)], []],
        [
            "a review stack running a public image",
            [REFERENCE, deployment("redis:7.4.2-alpine")],
            [refused("redis:7.4.2-alpine", "an Artifact Registry repository")],
        ],
        ["a stack not on GKE (local, dev) is not this rule's", [deployment("localhost:5000/app/backend:v1")], []],
        [
            "an image unknown during preview (still being built) is checked on up",
            [CLUSTER, REPOSITORY, { ...deployment(""), props: previewProps(deployment(UNKNOWN_STRING).props) }],
            [],
        ],
    ];
    for (const [title, resources, expected] of cases) {
        it(title, () => assert.deepEqual(registryImageViolations(resources as never), expected));
    }
});
