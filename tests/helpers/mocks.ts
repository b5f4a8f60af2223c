// Runs code that registers resources under pulumi.runtime.setMocks and records what it registered.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { BUILT_IMAGES, ImagePlan, presetImageKeys } from "../../components/images";
import { REPO_ROOT } from "../../project";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    /** Inputs as the engine would receive them (Outputs resolved). */
    readonly inputs: any;
    /** Provider reference (`urn::id`), when one was given. */
    readonly provider?: string;
    /** metadata.name of a Kubernetes object, as given or as auto-naming would make it. */
    readonly kubeName?: string;
}

/** The kubeconfig output the mocks give every referenced stack: it names the stack, so a test can tell whose. */
export function referencedKubeconfig(stack: string): string {
    return JSON.stringify({ apiVersion: "v1", kind: "Config", "current-context": `cluster of ${stack}` });
}

/** The imageRegistry output the mocks give every referenced stack: gke's Artifact Registry repository. */
export const referencedImageRegistry = "us-central1-docker.pkg.dev/my-gcp-project/three-tier-app";

/** The namespaceAccess output the mocks give every referenced stack: gke's ReviewAccess for its review identity. */
export const referencedNamespaceAccess = {
    clusterRole: "three-tier-review-namespace",
    subject: {
        kind: "User",
        name: "three-tier-review@my-gcp-project.iam.gserviceaccount.com",
        apiGroup: "rbac.authorization.k8s.io",
    },
    placement: {
        nodeSelector: { "three-tier-app/review-nodes": "true" },
        tolerations: [{ key: "three-tier-app/review-nodes", operator: "Equal", value: "true", effect: "NoSchedule" }],
    },
};

/**
 * The tag and build key tools/images gives each image under the mocks: the program reads these instead of
 * running the tool, which would build itself first after a change to its sources.
 */
export const MOCK_IMAGE_PLANS: readonly ImagePlan[] = BUILT_IMAGES.map((name) => ({
    name,
    tag: `${name}-mock`,
    key: createHash("sha256").update(`image ${name}`).digest("hex"),
}));
presetImageKeys(REPO_ROOT, MOCK_IMAGE_PLANS.map((p) => `${p.name} ${p.tag} ${p.key}`).join("\n"));

/** Fake values for what a cloud would fill in, so outputs that depend on them resolve. */
function simulatedState(type: string, name: string, inputs: any): Record<string, unknown> {
    if (type.startsWith("kubernetes:") && inputs.metadata !== undefined) {
        const metadata = { ...inputs.metadata, name: inputs.metadata.name ?? `${name}-a1b2c3d4` };
        if (type === "kubernetes:core/v1:Service") {
            const loadBalanced = inputs.spec?.type === "LoadBalancer";
            const exposed = loadBalanced || inputs.spec?.type === "NodePort";
            return {
                ...inputs,
                metadata,
                spec: {
                    ...inputs.spec,
                    ports: (inputs.spec?.ports ?? []).map((p: any, i: number) =>
                        exposed ? { ...p, nodePort: 30080 + i } : p,
                    ),
                },
                status: loadBalanced ? { loadBalancer: { ingress: [{ ip: "203.0.113.10" }] } } : { loadBalancer: {} },
            };
        }
        // The token controller fills a ServiceAccount token Secret in; the provider waits for it.
        if (type === "kubernetes:core/v1:Secret" && inputs.type === "kubernetes.io/service-account-token") {
            const data = {
                token: Buffer.from("token-of-" + metadata.name).toString("base64"),
                "ca.crt": "Q0EtREFUQQ==",
            };
            return { ...inputs, metadata, data };
        }
        return { ...inputs, metadata };
    }
    switch (type) {
        case "gcp:container/cluster:Cluster":
            return {
                ...inputs,
                name: inputs.name ?? `${name}-1234567`,
                endpoint: "203.0.113.1",
                masterAuth: { clusterCaCertificate: "Q0EtREFUQQ==" },
                controlPlaneEndpointsConfig: {
                    ...inputs.controlPlaneEndpointsConfig,
                    dnsEndpointConfig: {
                        ...inputs.controlPlaneEndpointsConfig?.dnsEndpointConfig,
                        endpoint: `gke-0123456789abcdef-123456789012.${inputs.location}.gke.goog`,
                    },
                },
            };
        // A StackReference's state is the referenced stack's outputs: here gke's, none of them secret.
        case "pulumi:pulumi:StackReference":
            return {
                ...inputs,
                outputs: {
                    kubeconfig: referencedKubeconfig(inputs.name),
                    imageRegistry: referencedImageRegistry,
                    namespaceAccess: referencedNamespaceAccess,
                },
                secretOutputNames: [],
            };
        // An image the program builds (components/images.ts): the registry answers the push with a digest.
        case "pulumi-nodejs:dynamic:Resource": {
            // A GeneratedPassword (components/generated-password.ts): a value that names its resource.
            if ("bytes" in inputs) return { ...inputs, value: `generated-password-of-${name}` };
            const digest = `sha256:${createHash("sha256").update(String(inputs.key)).digest("hex")}`;
            return { ...inputs, digest, ref: `${inputs.registry}/${inputs.name}@${digest}` };
        }
        case "gcp:serviceaccount/account:Account": {
            const email = `${inputs.accountId}@${inputs.project}.iam.gserviceaccount.com`;
            return { ...inputs, email, name: `projects/${inputs.project}/serviceAccounts/${email}` };
        }
        case "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
            return { ...inputs, name: workloadIdentityPool(inputs.workloadIdentityPoolId) };
        case "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
            return {
                ...inputs,
                name: `${workloadIdentityPool(inputs.workloadIdentityPoolId)}/providers/${inputs.workloadIdentityPoolProviderId}`,
            };
        default:
            return inputs;
    }
}

/** The project number the mocks give every project (gcp.organizations.getProject). */
export const MOCK_PROJECT_NUMBER = "123456789012";

/** A pool's resource name, as GCP forms it from the project's number. */
function workloadIdentityPool(id: string): string {
    return `projects/${MOCK_PROJECT_NUMBER}/locations/global/workloadIdentityPools/${id}`;
}

/** The id a cloud would give, where it is a path other resources take (KMS); else the mocks' `<name>-id`. */
function simulatedId(type: string, name: string, inputs: any): string {
    switch (type) {
        case "gcp:kms/keyRing:KeyRing":
            return `projects/${inputs.project}/locations/${inputs.location}/keyRings/${inputs.name}`;
        case "gcp:kms/cryptoKey:CryptoKey":
            return `${inputs.keyRing}/cryptoKeys/${inputs.name}`;
        default:
            return `${name}-id`;
    }
}

/** What a provider's function answers under the mocks: its inputs, plus what a cloud would add. */
function simulatedInvoke(token: string, inputs: any): Record<string, unknown> {
    return token === "gcp:organizations/getProject:getProject" ? { ...inputs, number: MOCK_PROJECT_NUMBER } : inputs;
}

interface MockRun<T> {
    readonly resources: RecordedResource[];
    readonly result: T;
}

/**
 * Sets fresh mocks and the given stack config, runs `build`, waits until every registration has
 * finished, and returns what was registered. A throw from `build` propagates after the wait.
 */
export async function runUnderMocks<T>(
    build: () => T,
    options: { readonly config?: Record<string, string>; readonly stack?: string } = {},
): Promise<MockRun<T>> {
    const resources: RecordedResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const state: any = simulatedState(args.type, args.name, args.inputs);
                // Components register too; only custom resources and providers reach an engine.
                if (args.custom !== false) {
                    resources.push({
                        type: args.type,
                        name: args.name,
                        inputs: args.inputs,
                        provider: args.provider,
                        kubeName: state.metadata?.name,
                    });
                }
                return { id: simulatedId(args.type, args.name, args.inputs), state };
            },
            call(args) {
                return simulatedInvoke(args.token, args.inputs);
            },
        },
        "three-tier-app",
        options.stack ?? "test",
        false,
    );
    pulumi.runtime.setAllConfig(options.config ?? {}, []);
    // The SDK reads a stack trace for every promise and resource it makes (for leak reports and source
    // positions, which mocks never show), and ts-node's formatter maps each frame to the TypeScript source:
    // most of a run's time. During the run a stack reads as its error's first line alone; V8 formats a stack
    // when it is first read, so an error that leaves the run still shows every frame, mapped, when it is.
    const prepareStackTrace = Error.prepareStackTrace;
    Error.prepareStackTrace = (error: Error) => String(error);
    try {
        return { resources, result: build() };
    } finally {
        await pulumi.runtime.disconnect();
        Error.prepareStackTrace = prepareStackTrace;
    }
}

/** Freezes what a run recorded, deeply. */
function frozen<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const child of Object.values(value)) frozen(child);
    }
    return value;
}

/** Runs made in this process, by key: see sharedRun. */
const runs = new Map<string, Promise<unknown>>();

/**
 * `run` made once per `key` in this process and shared by every test that asks with the same key: a run
 * under mocks costs up to a few hundred milliseconds and is a function of what it builds, so the key must
 * name all of that (what is built first, then its arguments or config). Its record is frozen: no test can
 * change what the next one reads.
 */
export function sharedRun<T extends { readonly resources: readonly RecordedResource[] }>(
    key: readonly unknown[],
    run: () => Promise<T>,
): Promise<T> {
    const id = JSON.stringify(key);
    let made = runs.get(id) as Promise<T> | undefined;
    if (made === undefined) {
        made = run().then((done) => ({ ...done, resources: frozen(done.resources) }));
        runs.set(id, made);
    }
    return made;
}

/** The value inside an Output (no assertions inside apply callbacks). */
export function unwrap<T>(output: pulumi.Input<T> | undefined): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) =>
        pulumi.output(output as pulumi.Input<T>).apply((value) => {
            resolve(value);
        }),
    );
}

const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/** A recorded input that the engine would hold as a secret: its value, or undefined if it is not secret. */
export function secretValue(input: any): any {
    return input?.[SECRET_SIGNATURE] === undefined ? undefined : input.value;
}

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

/** The one resource of a type with a given Kubernetes name (metadata.name); fails if there is not exactly one. */
export function byKubeName(resources: readonly RecordedResource[], type: string, name: string): RecordedResource {
    const found = ofType(resources, type).filter((r) => r.kubeName === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
}

/** The one resource of a type with a given Pulumi name; fails if there is not exactly one. */
export function byName(resources: readonly RecordedResource[], type: string, name: string): RecordedResource {
    const found = resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} with Pulumi name ${name}, found ${found.length}`);
    return found[0];
}

export const K8S = {
    namespace: "kubernetes:core/v1:Namespace",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    claim: "kubernetes:core/v1:PersistentVolumeClaim",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    disruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    provider: "pulumi:providers:kubernetes",
} as const;
