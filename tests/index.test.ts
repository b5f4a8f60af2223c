import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config";
import {
    byKubeName,
    K8S,
    ofType,
    RecordedResource,
    referencedImageRegistry,
    referencedKubeconfig,
    referencedNamespaceAccess,
    secretValue,
    unwrap,
} from "./helpers/mocks";
import { runProgram, runProgramRecordingOptions } from "./helpers/stack-config";

const WORKLOADS = [K8S.deployment, K8S.statefulSet];

/** The workloads whose pods a selector picks. */
function selectedWorkloads(resources: readonly RecordedResource[], selector: Record<string, string>): string[] {
    return resources
        .filter((r) => WORKLOADS.includes(r.type as (typeof WORKLOADS)[number]))
        .filter((w) => Object.entries(selector).every(([k, v]) => w.inputs.spec.template.metadata.labels[k] === v))
        .map((w) => String(w.kubeName));
}

function kubernetesObjects(resources: readonly RecordedResource[]): string[] {
    return resources
        .filter((r) => r.type.startsWith("kubernetes:"))
        .map((r) => `${r.type.split(":")[1]}:${r.type.split(":")[2]} ${r.kubeName}`)
        .sort();
}

/** The Secret of the password Redis gets in GKE (its own stack, review stacks) when none is configured. */
const GENERATED_PASSWORD = "core/v1:Secret web-redis-password-a1b2c3d4";
/** gke's side of review stacks (Pulumi.gke.yaml names their identity): ReviewAccess. */
const REVIEW_ACCESS = [
    "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy three-tier-review-confinement",
    "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy three-tier-review-namespaces",
    "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding three-tier-review-confinement",
    "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding three-tier-review-namespaces",
    "rbac.authorization.k8s.io/v1:ClusterRole three-tier-review",
    "rbac.authorization.k8s.io/v1:ClusterRole three-tier-review-namespace",
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding three-tier-review",
];
const APP_OBJECTS = [
    "apps/v1:Deployment backend",
    "apps/v1:Deployment frontend",
    "apps/v1:StatefulSet redis",
    "core/v1:ConfigMap web-backend-config-a1b2c3d4",
    "core/v1:ConfigMap web-frontend-config-a1b2c3d4",
    "core/v1:ConfigMap web-redis-config-a1b2c3d4",
    "core/v1:Namespace three-tier",
    "core/v1:PersistentVolumeClaim redis-data",
    "core/v1:Service app",
    "core/v1:Service nginx",
    "core/v1:Service redis",
    "core/v1:Service redis-headless",
    "networking.k8s.io/v1:NetworkPolicy backend-egress",
    "networking.k8s.io/v1:NetworkPolicy backend-ingress",
    "networking.k8s.io/v1:NetworkPolicy default-deny-egress",
    "networking.k8s.io/v1:NetworkPolicy default-deny-ingress",
    "networking.k8s.io/v1:NetworkPolicy dns-egress",
    "networking.k8s.io/v1:NetworkPolicy nginx-egress",
    "networking.k8s.io/v1:NetworkPolicy nginx-ingress",
    "networking.k8s.io/v1:NetworkPolicy redis-ingress",
    "policy/v1:PodDisruptionBudget backend",
    "policy/v1:PodDisruptionBudget frontend",
];

/** Every container image of the workloads, init containers included: `workload/container image`. */
function workloadImages(resources: readonly RecordedResource[]): string[] {
    return resources
        .filter((r) => WORKLOADS.includes(r.type as (typeof WORKLOADS)[number]))
        .flatMap((w) =>
            [...(w.inputs.spec.template.spec.initContainers ?? []), ...w.inputs.spec.template.spec.containers].map(
                (c: { name: string; image: string }) => `${w.kubeName}/${c.name} ${c.image}`,
            ),
        )
        .sort();
}

/** What each workload runs when the program builds the images: its image in `registry`, by digest. */
function builtImagesIn(registry: string): RegExp[] {
    const digest = "@sha256:[a-f0-9]{64}$";
    const escaped = registry.replace(/[.]/g, "\\.");
    return [
        new RegExp(`^backend/app ${escaped}/backend${digest}`),
        new RegExp(`^frontend/nginx ${escaped}/nginx${digest}`),
        new RegExp(`^redis/redis ${escaped}/redis${digest}`),
    ];
}

function assertBuiltImages(resources: readonly RecordedResource[], registry: string) {
    const images = workloadImages(resources);
    assert.equal(images.length, 3, images.join(", "));
    builtImagesIn(registry).forEach((pattern, i) => assert.match(images[i], pattern));
    // The images are resources of the stack, pushed where its nodes pull from.
    assert.deepEqual(
        ofType(resources, "pulumi-nodejs:dynamic:Resource")
            .filter((r) => "registry" in r.inputs)
            .map((r) => `${r.inputs.registry}/${r.inputs.name}`)
            .sort(),
        ["backend", "nginx", "redis"].map((n) => `${registry}/${n}`),
    );
}

for (const [stack, registry] of [
    ["dev", "localhost:5000/three-tier-app"],
    ["local", "172.31.255.2:5000/three-tier-app"],
    ["gke", "us-central1-docker.pkg.dev/my-gcp-project/three-tier-app"],
]) {
    describe(`program, stack ${stack}: the images it builds`, () => {
        it(`runs the three images it builds, pushed to ${registry} and deployed by digest`, async () => {
            assertBuiltImages((await runProgram(stack)).resources, registry);
        });
    });
}

/** The pod templates of the workloads, by workload name. */
function podSpecs(resources: readonly RecordedResource[]): [string, any][] {
    return resources
        .filter((r) => WORKLOADS.includes(r.type as (typeof WORKLOADS)[number]))
        .map((w) => [String(w.kubeName), w.inputs.spec.template.spec]);
}

for (const stack of ["dev", "local", "gke"]) {
    describe(`program, stack ${stack}: what a security review of the pods looks for`, () => {
        it("gives every container a liveness check other than its readiness check", async () => {
            for (const [name, pod] of podSpecs((await runProgram(stack)).resources)) {
                for (const c of pod.containers) {
                    const handler = (p: Record<string, unknown>) =>
                        JSON.stringify({ httpGet: p.httpGet, tcpSocket: p.tcpSocket, exec: p.exec });
                    assert.notEqual(handler(c.livenessProbe), handler(c.readinessProbe), `${name}/${c.name}`);
                }
            }
        });

        it("requests and limits every container's ephemeral storage, and sizes every emptyDir", async () => {
            for (const [name, pod] of podSpecs((await runProgram(stack)).resources)) {
                for (const c of pod.containers) {
                    assert.ok(c.resources.requests["ephemeral-storage"], `${name}/${c.name} request`);
                    assert.ok(c.resources.limits["ephemeral-storage"], `${name}/${c.name} limit`);
                }
                for (const v of pod.volumes ?? []) {
                    if (v.emptyDir !== undefined) assert.ok(v.emptyDir.sizeLimit, `${name} emptyDir ${v.name}`);
                }
            }
        });

        it("runs every pod as a uid and gid of 10000 or more (the volume's fsGroup too)", async () => {
            for (const [name, pod] of podSpecs((await runProgram(stack)).resources)) {
                const { runAsUser, runAsGroup, fsGroup } = pod.securityContext;
                assert.ok(runAsUser >= 10000 && runAsGroup >= 10000, `${name}: ${runAsUser}:${runAsGroup}`);
                if (fsGroup !== undefined) assert.ok(fsGroup >= 10000, `${name}: fsGroup ${fsGroup}`);
            }
        });

        it("spreads the two stateless tiers over nodes and zones, preferring, not requiring", async () => {
            const pods = Object.fromEntries(podSpecs((await runProgram(stack)).resources));
            for (const name of ["frontend", "backend"]) {
                const constraints = pods[name].topologySpreadConstraints;
                assert.deepEqual(
                    constraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable]),
                    [
                        ["kubernetes.io/hostname", "ScheduleAnyway"],
                        ["topology.kubernetes.io/zone", "ScheduleAnyway"],
                    ],
                    name,
                );
            }
        });
    });
}

for (const stack of ["dev", "gke"]) {
    describe(`program, stack ${stack}`, () => {
        it("deploys the tutorial's objects", async () => {
            const { resources } = await runProgram(stack);
            // gke's Redis volume is the program's own (on its own disk), so it is a Pulumi resource too; its
            // Redis has a generated password.
            const gkeOnly =
                stack === "gke"
                    ? ["core/v1:PersistentVolume three-tier-redis-data", GENERATED_PASSWORD, ...REVIEW_ACCESS]
                    : [];
            assert.deepEqual(kubernetesObjects(resources), [...APP_OBJECTS, ...gkeOnly].sort());
        });

        it("has every Service select exactly its own pods", async () => {
            const { resources } = await runProgram(stack);
            const expected: Record<string, string[]> = {
                nginx: ["frontend"],
                app: ["backend"],
                redis: ["redis"],
                "redis-headless": ["redis"],
            };
            for (const service of ofType(resources, K8S.service)) {
                const name = String(service.kubeName);
                assert.deepEqual(selectedWorkloads(resources, service.inputs.spec.selector), expected[name], name);
            }
        });

        it("labels every object and pod with app.kubernetes.io/instance: the stack name", async () => {
            const { resources } = await runProgram(stack);
            const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
            for (const r of objects) {
                assert.equal(r.inputs.metadata.labels["app.kubernetes.io/instance"], stack, `${r.type} ${r.name}`);
            }
            for (const w of objects.filter((r) => WORKLOADS.includes(r.type as (typeof WORKLOADS)[number]))) {
                assert.equal(w.inputs.spec.template.metadata.labels["app.kubernetes.io/instance"], stack, w.name);
            }
        });

        it("selects pods by the tutorial's pair only, so a stack rename replaces no workload", async () => {
            const { resources } = await runProgram(stack);
            const selectors = resources.flatMap((r) => {
                switch (r.type) {
                    case K8S.deployment:
                    case K8S.statefulSet:
                    case K8S.disruptionBudget:
                        return [r.inputs.spec.selector.matchLabels];
                    case K8S.service:
                        return [r.inputs.spec.selector];
                    case K8S.networkPolicy:
                        return [r.inputs.spec.podSelector.matchLabels ?? {}];
                    default:
                        return [];
                }
            });
            assert.equal(selectors.length, 17);
            for (const selector of selectors) {
                assert.deepEqual(
                    Object.keys(selector).filter((k) => k !== "app" && k !== "service"),
                    [],
                );
            }
        });

        it("lets pods open only DNS, nginx → app:1323 and app → redis:6379", async () => {
            const { resources } = await runProgram(stack);
            const egress = ofType(resources, K8S.networkPolicy).filter((p) =>
                p.inputs.spec.policyTypes.includes("Egress"),
            );
            const tiers = { "": "every pod", nginx: "nginx", app: "app", redis: "redis" } as Record<string, string>;
            const describe = (labels: Record<string, string> | undefined) => tiers[labels?.service ?? ""];
            const allowed = egress.flatMap((p) =>
                (p.inputs.spec.egress ?? []).flatMap((rule: any) =>
                    rule.ports.map(
                        (port: any) =>
                            `${describe(p.inputs.spec.podSelector.matchLabels)} → ` +
                            `${rule.to ? rule.to.map((t: any) => describe(t.podSelector.matchLabels)).join(",") : "anywhere"}` +
                            ` ${port.protocol}/${port.port}`,
                    ),
                ),
            );
            assert.deepEqual(allowed.sort(), [
                "app → redis TCP/6379",
                "every pod → anywhere TCP/53",
                "every pod → anywhere UDP/53",
                "nginx → app TCP/1323",
            ]);
            // Every pod is isolated for egress: one policy selects them all with no rule.
            assert.ok(
                egress.some(
                    (p) => Object.keys(p.inputs.spec.podSelector).length === 0 && p.inputs.spec.egress === undefined,
                ),
                "a default-deny egress policy",
            );
        });

        it("mounts no service-account token in any pod: the app talks to no Kubernetes API", async () => {
            const { resources } = await runProgram(stack);
            const workloads = resources.filter((r) => WORKLOADS.includes(r.type as (typeof WORKLOADS)[number]));
            assert.equal(workloads.length, 3);
            for (const w of workloads)
                assert.equal(w.inputs.spec.template.spec.automountServiceAccountToken, false, w.name);
        });

        it("creates every Kubernetes object through the cluster's explicit provider", async () => {
            const { resources } = await runProgram(stack);
            const providers = ofType(resources, K8S.provider);
            assert.equal(providers.length, 1);
            const component = stack === "gke" ? "GkeCluster" : "KubeconfigCluster";
            const providerName = providers[0].name;
            const reference = `urn:pulumi:${stack}::three-tier-app::three-tier-app:index:${component}$pulumi:providers:kubernetes::${providerName}::${providerName}-id`;
            for (const r of resources.filter((r) => r.type.startsWith("kubernetes:"))) {
                assert.equal(r.provider, reference, `${r.type} ${r.name}`);
            }
        });
    });
}

describe("program, stack dev", () => {
    it("uses the minikube context, creates no GCP resource, and exposes nginx as a NodePort", async () => {
        const { resources, result } = await runProgram("dev");
        assert.equal(ofType(resources, K8S.provider)[0].inputs.context, "minikube");
        assert.deepEqual(
            resources.filter((r) => r.type.startsWith("gcp:")),
            [],
        );
        assert.equal(ofType(resources, K8S.service).find((s) => s.kubeName === "nginx")?.inputs.spec.type, "NodePort");
        assert.equal(await unwrap(result.namespace), "three-tier");
        // No node address is configured: no URL, and a hint for people.
        assert.equal(await unwrap(result.frontendUrl), "");
        assert.match(await unwrap(result.frontendHint), /^node port 30080 of Service nginx .*minikube service nginx/);
        assert.equal(result.clusterName, undefined);
        assert.equal(result.kubeconfig, undefined);
    });
});

describe("program, target kubeconfig", () => {
    it('names its cluster kubeconfig, aliased to "kube" so stacks deployed before the rename update in place', async () => {
        const { options } = await runProgramRecordingOptions("dev");
        assert.deepEqual(options.options("three-tier-app:index:KubeconfigCluster", "kubeconfig").aliases, [
            { name: "kube" },
        ]);
    });
});

describe("program: how long up waits for a rollout", () => {
    const WORKLOADS: [string, string][] = [
        ["kubernetes:apps/v1:Deployment", "web-frontend-deployment"],
        ["kubernetes:apps/v1:Deployment", "web-backend-deployment"],
        ["kubernetes:apps/v1:StatefulSet", "web-redis-statefulset"],
    ];
    const timeouts = async (overrides: Record<string, string>) => {
        const { options } = await runProgramRecordingOptions("dev", overrides);
        return WORKLOADS.map(([type, name]) => options.options(type, name).customTimeouts);
    };

    it("is the provider's 10 minutes unless the stack says otherwise, for every workload", async () => {
        const ten = { create: "600s", update: "600s" };
        assert.deepEqual(await timeouts({}), [ten, ten, ten]);
    });

    it("is rolloutTimeoutSeconds for every workload, so a crash-looping pod fails up then", async () => {
        const short = { create: "45s", update: "45s" };
        assert.deepEqual(await timeouts({ "three-tier-app:rolloutTimeoutSeconds": "45" }), [short, short, short]);
    });
});

describe("program, target stack (review stacks: a namespace in the gke stack's cluster)", () => {
    const GKE_STACK = "organization/three-tier-app/gke";
    const REVIEW_STACK_CONFIG = {
        "three-tier-app:target": "stack",
        "three-tier-app:clusterStack": GKE_STACK,
        "three-tier-app:namespace": "pr-7",
    };
    const reviewStack = () => runProgram("dev", REVIEW_STACK_CONFIG);

    it("reads the cluster stack's kubeconfig through a StackReference and deploys through it", async () => {
        const { resources } = await reviewStack();
        const references = ofType(resources, "pulumi:pulumi:StackReference");
        assert.deepEqual(
            references.map((r) => [r.name, r.inputs.name]),
            [["stack-reference", GKE_STACK]],
        );
        const providers = ofType(resources, K8S.provider);
        assert.deepEqual(
            providers.map((p) => [p.name, secretValue(p.inputs.kubeconfig)]),
            [["stack-k8s", referencedKubeconfig(GKE_STACK)]],
        );
        const reference =
            "urn:pulumi:dev::three-tier-app::three-tier-app:index:StackCluster$pulumi:providers:kubernetes::stack-k8s::stack-k8s-id";
        for (const r of resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            assert.equal(r.provider, reference, `${r.type} ${r.name}`);
        }
    });

    it("pushes its images to the cluster stack's Artifact Registry repository, and runs them by digest", async () => {
        assertBuiltImages((await reviewStack()).resources, referencedImageRegistry);
    });

    it("creates only its namespace and the app's objects in it: nothing cluster-level, no GCP resource", async () => {
        const { resources } = await reviewStack();
        assert.deepEqual(
            kubernetesObjects(resources),
            [
                ...APP_OBJECTS.map((o) => o.replace(/ three-tier$/, " pr-7")),
                GENERATED_PASSWORD,
                "rbac.authorization.k8s.io/v1:RoleBinding three-tier-review",
            ].sort(),
        );
        for (const r of resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== K8S.namespace)) {
            assert.equal(r.inputs.metadata.namespace, "pr-7", `${r.type} ${r.name}`);
        }
        assert.deepEqual(
            resources.filter((r) => r.type.startsWith("gcp:")),
            [],
        );
    });

    it("binds the cluster stack's namespace role to its identity first, and leaves the binding to the namespace", async () => {
        const { resources } = await reviewStack();
        const binding = byKubeName(
            resources,
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "three-tier-review",
        );
        assert.deepEqual(binding.inputs.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: referencedNamespaceAccess.clusterRole,
        });
        assert.deepEqual(binding.inputs.subjects, [referencedNamespaceAccess.subject]);

        const { options } = await runProgramRecordingOptions("dev", REVIEW_STACK_CONFIG);
        const bindingOptions = options.options(
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "web-review-access",
        );
        // Named decision: deleting it before the rest would take away the rights the destroy needs.
        assert.equal(bindingOptions.retainOnDelete, true);
        for (const [type, name] of [
            ["three-tier-app:index:Redis", "web-redis"],
            ["three-tier-app:index:Backend", "web-backend"],
            ["three-tier-app:index:Frontend", "web-frontend"],
            [K8S.networkPolicy, "web-default-deny"],
        ]) {
            assert.deepEqual(options.dependsOn(type, name), ["web-review-access"], `${type} ${name}`);
        }
    });
});

describe("program, target stack: where review pods run", () => {
    it("every workload's pods select and tolerate the nodes the cluster stack gives review stacks", async () => {
        const { resources } = await runProgram("dev", {
            "three-tier-app:target": "stack",
            "three-tier-app:clusterStack": "organization/three-tier-app/gke",
            "three-tier-app:namespace": "pr-7",
        });
        const workloads = resources.filter((r) => r.type === K8S.deployment || r.type === K8S.statefulSet);
        assert.equal(workloads.length, 3);
        for (const w of workloads) {
            const spec = w.inputs.spec.template.spec;
            assert.deepEqual(
                [spec.nodeSelector, spec.tolerations],
                [referencedNamespaceAccess.placement.nodeSelector, referencedNamespaceAccess.placement.tolerations],
                w.kubeName,
            );
        }
    });

    it("elsewhere, pods may run on any node", async () => {
        const { resources } = await runProgram("gke");
        for (const w of resources.filter((r) => r.type === K8S.deployment || r.type === K8S.statefulSet)) {
            assert.equal(w.inputs.spec.template.spec.nodeSelector, undefined, w.kubeName);
        }
    });
});

describe("program, target kubeconfig hosting review stacks (reviewStacks, as the local cluster does)", () => {
    it("declares ReviewAccess for a ServiceAccount and exports what review stacks read", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
        const file = path.join(dir, "config");
        fs.writeFileSync(
            file,
            "clusters:\n- name: c\n  cluster: {server: 'https://192.0.2.1:6443'}\n" +
                "contexts:\n- name: here\n  context: {cluster: c}\n",
        );
        try {
            const { resources, result } = await runProgram("dev", {
                "three-tier-app:reviewStacks": "true",
                "three-tier-app:kubeconfig": file,
                "three-tier-app:kubeContext": "here",
            });
            assert.deepEqual(
                ofType(resources, "kubernetes:core/v1:ServiceAccount").map((r) => r.kubeName),
                ["reviewer"],
            );
            assert.deepEqual(await unwrap(result.namespaceAccess), {
                clusterRole: "three-tier-review-namespace",
                subject: { kind: "ServiceAccount", name: "reviewer", namespace: "three-tier-review" },
            });
            assert.equal(
                JSON.parse(await unwrap(result.kubeconfig)).clusters[0].cluster.server,
                "https://192.0.2.1:6443",
            );
            assert.equal(await unwrap(result.imageRegistry), "localhost:5000/three-tier-app");
        } finally {
            fs.rmSync(dir, { recursive: true });
        }
    });

    it("declares none by default", async () => {
        const { resources, result } = await runProgram("dev");
        assert.equal(
            ofType(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").length,
            0,
        );
        assert.deepEqual(Object.keys(result).sort(), ["frontendHint", "frontendUrl", "namespace"]);
    });
});

describe("program, a NodePort with frontendHost (the local stack's node address)", () => {
    it("outputs http://<frontendHost>:<nodePort>", async () => {
        const { result } = await runProgram("dev", { "three-tier-app:frontendHost": "172.31.255.2" });
        assert.equal(await unwrap(result.frontendUrl), "http://172.31.255.2:30080");
    });
});

describe("program, stack gke", () => {
    it("provisions the cluster and exposes nginx through a LoadBalancer", async () => {
        const { resources, result } = await runProgram("gke");
        assert.equal(ofType(resources, "gcp:container/cluster:Cluster").length, 1);
        // Its own, and the review stacks' (Pulumi.gke.yaml names their account).
        assert.deepEqual(
            ofType(resources, "gcp:container/nodePool:NodePool").map((p) => p.name),
            ["gke-nodes", "gke-review-nodes"],
        );
        assert.equal(
            ofType(resources, K8S.service).find((s) => s.kubeName === "nginx")?.inputs.spec.type,
            "LoadBalancer",
        );
        assert.equal(await unwrap(result.frontendUrl), "http://203.0.113.10");
        assert.equal(await unwrap(result.frontendHint), "the load balancer of Service nginx in namespace three-tier");
        assert.equal(await unwrap(result.clusterName), "gke-cluster-1234567");
        assert.ok(result.kubeconfig);
        // Not a secret: review stacks read it, and gke's other outputs, without gke's secrets provider.
        for (const [name, output] of Object.entries(result)) {
            assert.ok(output, name);
            assert.equal(await pulumi.isSecret(output), false, name);
        }
        assert.equal(JSON.parse(await unwrap(result.kubeconfig)).users[0].user.exec.command, "gke-gcloud-auth-plugin");
        // Review stacks bind this role to this identity in their namespaces.
        // (The mocks give every StackReference this very value.)
        assert.deepEqual(await unwrap(result.namespaceAccess), referencedNamespaceAccess);
        // Review stacks read where to push their images from here.
        assert.equal(await unwrap(result.imageRegistry), "us-central1-docker.pkg.dev/my-gcp-project/three-tier-app");
    });

    it("runs its nodes as the bootstrap stack's account, and creates no service account or project role", async () => {
        const { resources } = await runProgram("gke");
        const account = "three-tier-nodes@my-gcp-project.iam.gserviceaccount.com";
        assert.equal(ofType(resources, "gcp:container/nodePool:NodePool")[0].inputs.nodeConfig.serviceAccount, account);
        assert.equal(ofType(resources, "gcp:container/cluster:Cluster")[0].inputs.nodeConfig.serviceAccount, account);
        assert.deepEqual(
            resources
                .filter((r) => r.type.startsWith("gcp:serviceaccount/") || r.type.startsWith("gcp:projects/"))
                .map((r) => `${r.type} ${r.name}`),
            [],
        );
    });

    it("reaches the control plane through its DNS endpoint alone, as its stack file leaves it", async () => {
        const { resources, result } = await runProgram("gke");
        const cluster = ofType(resources, "gcp:container/cluster:Cluster")[0].inputs;
        assert.deepEqual(cluster.controlPlaneEndpointsConfig, {
            dnsEndpointConfig: { allowExternalTraffic: true },
            ipEndpointsConfig: { enabled: false },
        });
        assert.equal(
            JSON.parse(await unwrap(result.kubeconfig)).clusters[0].cluster.server,
            "https://gke-0123456789abcdef-123456789012.us-central1-a.gke.goog",
        );
    });

    it("labels the cluster, its node VMs, the Redis disk and the image repository with the app and the stack", async () => {
        const { resources } = await runProgram("gke");
        const labels = { "part-of": "three-tier-app", stack: "gke" };
        const one = (type: string) => ofType(resources, type)[0].inputs;
        assert.deepEqual(one("gcp:container/cluster:Cluster").resourceLabels, labels);
        assert.deepEqual(one("gcp:container/nodePool:NodePool").nodeConfig.resourceLabels, labels);
        assert.deepEqual(one("gcp:compute/disk:Disk").labels, labels);
        assert.deepEqual(one("gcp:artifactregistry/repository:Repository").labels, labels);
    });

    it("lets the review stacks' account, as its stack file names it, push to its repository; none without one", async () => {
        const writers = async (overrides: Record<string, string>) =>
            ofType(
                (await runProgram("gke", overrides)).resources,
                "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            )
                .filter((m) => m.inputs.role === "roles/artifactregistry.writer")
                .map((m) => m.inputs.member);
        assert.deepEqual(await writers({}), [
            "serviceAccount:three-tier-review@my-gcp-project.iam.gserviceaccount.com",
        ]);
        assert.deepEqual(await writers({ "three-tier-app:gkeReviewServiceAccount": "" }), []);
    });

    it("encrypts the cluster's Secrets with the bootstrap stack's KMS key", async () => {
        const cluster = ofType((await runProgram("gke")).resources, "gcp:container/cluster:Cluster")[0].inputs;
        assert.deepEqual(cluster.databaseEncryption, {
            state: "ENCRYPTED",
            keyName: "projects/my-gcp-project/locations/us-central1/keyRings/three-tier-app/cryptoKeys/gke-stack",
        });
    });

    it("pulls nothing from Docker Hub: no tutorial or upstream image unless a stack names one", async () => {
        const images = workloadImages((await runProgram("gke")).resources);
        for (const image of images) assert.doesNotMatch(image, / (c1524db4f1\/|nginxinc\/|redis:)/);
    });

    it("is long-lived: its stack file turns protection on, which sets the cluster's deletionProtection", async () => {
        const cluster = async (overrides: Record<string, string>) =>
            ofType((await runProgram("gke", overrides)).resources, "gcp:container/cluster:Cluster")[0].inputs;
        assert.equal((await cluster({})).deletionProtection, true);
        assert.equal((await cluster({ "three-tier-app:protect": "false" })).deletionProtection, false);
    });

    it("puts Redis on a disk the program owns: PV → disk, claim → PV, all protected", async () => {
        const { resources } = await runProgram("gke", { "three-tier-app:redisStorageSize": "20Gi" });
        const disk = ofType(resources, "gcp:compute/disk:Disk");
        assert.equal(disk.length, 1);
        assert.deepEqual(
            { zone: disk[0].inputs.zone, size: disk[0].inputs.size, type: disk[0].inputs.type },
            { zone: "us-central1-a", size: 20, type: "pd-balanced" },
        );
        const volume = ofType(resources, "kubernetes:core/v1:PersistentVolume")[0].inputs.spec;
        assert.deepEqual(volume.csi, {
            driver: "pd.csi.storage.gke.io",
            volumeHandle: "gke-data-id",
            fsType: "ext4",
        });
        assert.deepEqual(volume.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions, [
            { key: "topology.gke.io/zone", operator: "In", values: ["us-central1-a"] },
        ]);
        assert.equal(volume.persistentVolumeReclaimPolicy, "Retain");
        assert.deepEqual(volume.capacity, { storage: "20Gi" });
        assert.equal(ofType(resources, K8S.claim)[0].inputs.spec.volumeName, "three-tier-redis-data");
    });

    it("Autopilot with private nodes and an IP endpoint behind authorized networks: no node pool, Cloud NAT", async () => {
        const { resources } = await runProgram("gke", {
            "three-tier-app:gkeMode": "autopilot",
            "three-tier-app:gkeLocation": "us-central1",
            "three-tier-app:gkeDataZone": "us-central1-f",
            "three-tier-app:gkePrivateNodes": "true",
            "three-tier-app:gkeIpEndpoint": "true",
            "three-tier-app:gkeAuthorizedNetworks": "203.0.113.0/24",
        });
        const cluster = ofType(resources, "gcp:container/cluster:Cluster")[0].inputs;
        assert.equal(cluster.enableAutopilot, true);
        assert.deepEqual(cluster.controlPlaneEndpointsConfig.ipEndpointsConfig, { enabled: true });
        assert.equal(cluster.privateClusterConfig.enablePrivateNodes, true);
        assert.deepEqual(cluster.masterAuthorizedNetworksConfig.cidrBlocks, [
            { cidrBlock: "203.0.113.0/24", displayName: "203.0.113.0/24" },
        ]);
        assert.deepEqual(ofType(resources, "gcp:container/nodePool:NodePool"), []);
        assert.equal(ofType(resources, "gcp:compute/routerNat:RouterNat").length, 1);
    });
});

describe("program, redisPassword", () => {
    it("reads the key through the config module, into the Secret Redis and the API read it from", async () => {
        const { resources } = await runProgram("dev", { "three-tier-app:redisPassword": "s3cret" });
        const [secret] = ofType(resources, K8S.secret);
        assert.equal(secretValue(secret.inputs.stringData).password, "s3cret");
        const ref = { name: secret.kubeName, key: "password" };
        const env = (type: string, name: string) =>
            byKubeName(resources, type, name).inputs.spec.template.spec.containers[0].env;
        assert.deepEqual(env(K8S.statefulSet, "redis")[0].valueFrom.secretKeyRef, ref);
        assert.deepEqual(env(K8S.deployment, "backend")[1].valueFrom.secretKeyRef, ref);
    });
});

describe("program, bad config", () => {
    const cases: [string, Record<string, string>, RegExp][] = [
        [
            "negative replicas",
            { "three-tier-app:backendReplicas": "-1" },
            /three-tier-app:backendReplicas must be a whole number/,
        ],
        [
            "unknown service type",
            { "three-tier-app:frontendServiceType": "Public" },
            /three-tier-app:frontendServiceType must be one of/,
        ],
        ["unknown target", { "three-tier-app:target": "aks" }, /three-tier-app:target must be one of kubeconfig, gke/],
        [
            "the retired target name minikube",
            { "three-tier-app:target": "minikube" },
            /three-tier-app:target minikube is replaced by three-tier-app:target kubeconfig .*pulumi config set target kubeconfig$/,
        ],
        [
            "target stack without clusterStack",
            { "three-tier-app:target": "stack" },
            /three-tier-app:clusterStack must be a fully qualified stack name <org>\/<project>\/<stack>.* \(got ""\)/,
        ],
        [
            "a clusterStack that is not fully qualified",
            { "three-tier-app:target": "stack", "three-tier-app:clusterStack": "gke" },
            /three-tier-app:clusterStack must be a fully qualified stack name .* \(got "gke"\)/,
        ],
    ];
    for (const [title, overrides, message] of cases) {
        it(`fails on ${title} before registering any resource`, async () => {
            let registered: readonly RecordedResource[] = [];
            await assert.rejects(
                runProgram("dev", overrides).then((run) => (registered = run.resources)),
                (e: unknown) => e instanceof ConfigError && message.test(e.message),
            );
            assert.deepEqual(registered, []);
        });
    }
});
