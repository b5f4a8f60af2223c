// Runs code that registers resources under pulumi.runtime.setMocks and records what it registered.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

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
                outputs: { kubeconfig: referencedKubeconfig(inputs.name), imageRegistry: referencedImageRegistry },
                secretOutputNames: [],
            };
        // An image the program builds (components/images.ts): the registry answers the push with a digest.
        case "pulumi-nodejs:dynamic:Resource": {
            const digest = `sha256:${createHash("sha256").update(String(inputs.key)).digest("hex")}`;
            return { ...inputs, digest, ref: `${inputs.registry}/${inputs.name}@${digest}` };
        }
        default:
            return inputs;
    }
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
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                return args.inputs;
            },
        },
        "three-tier-app",
        options.stack ?? "test",
        false,
    );
    pulumi.runtime.setAllConfig(options.config ?? {}, []);
    try {
        return { resources, result: build() };
    } finally {
        await pulumi.runtime.disconnect();
    }
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
