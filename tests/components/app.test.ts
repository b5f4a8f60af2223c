import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../config";
import { ThreeTierApp } from "../../components/app";
import { renderNginxConfig } from "../../components/nginx-config";
import { byKubeName, K8S, ofType, RecordedResource, runUnderMocks, sharedRun, unwrap } from "../helpers/mocks";
import { OptionRecorder } from "../helpers/options";

/** ThreeTierApp as stack pr-7's config `raw` makes it, under mocks; shared per config. */
function build(raw: Parameters<typeof parseConfig>[0] = {}) {
    const app = parseConfig(raw, "pr-7").app;
    return sharedRun(["ThreeTierApp", "pr-7", raw], () =>
        runUnderMocks(() => {
            const provider = new k8s.Provider("test", {});
            return new ThreeTierApp("web", app, { providers: [provider] });
        }),
    );
}

/** The Kubernetes objects among the recorded resources (not the provider, not the images). */
function kubernetesObjects(resources: readonly RecordedResource[]): RecordedResource[] {
    return resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== K8S.provider);
}

describe("ThreeTierApp", () => {
    it("puts every object in its own namespace, behind a default-deny ingress policy", async () => {
        const { resources, result } = await build({ namespace: "tutorial" });
        const namespace = byKubeName(resources, K8S.namespace, "tutorial").inputs.metadata;
        assert.equal(namespace.labels["pod-security.kubernetes.io/enforce"], "restricted");
        for (const r of kubernetesObjects(resources).filter((r) => r.type !== K8S.namespace)) {
            assert.equal(r.inputs.metadata.namespace, "tutorial", `${r.type} ${r.name}`);
        }
        const deny = byKubeName(resources, K8S.networkPolicy, "default-deny-ingress").inputs.spec;
        assert.deepEqual(deny, { podSelector: {}, policyTypes: ["Ingress"] });
        assert.equal(await unwrap(result.namespace), "tutorial");
    });

    it("labels every object and pod template with the instance, and selects by the tutorial's pair only", async () => {
        const { resources } = await build({ redisPassword: "pw" });
        const objects = kubernetesObjects(resources);
        assert.deepEqual(
            [...new Set(objects.map((r) => r.type))].sort(),
            Object.values(K8S)
                .filter((t) => t !== K8S.provider)
                .sort(),
        );
        for (const r of objects) {
            assert.equal(r.inputs.metadata.labels["app.kubernetes.io/instance"], "pr-7", `${r.type} ${r.name}`);
        }
        for (const w of [...ofType(resources, K8S.deployment), ...ofType(resources, K8S.statefulSet)]) {
            assert.equal(w.inputs.spec.template.metadata.labels["app.kubernetes.io/instance"], "pr-7", w.name);
            assert.deepEqual(Object.keys(w.inputs.spec.selector.matchLabels).sort(), ["app", "service"], w.name);
        }
        for (const s of ofType(resources, K8S.service)) {
            assert.deepEqual(Object.keys(s.inputs.spec.selector).sort(), ["app", "service"], s.name);
        }
    });

    it("applies the same defaults by itself as the stack config does", async () => {
        const fromConfig = await build();
        // Where the images go is not a default of the app's: it is the cluster's (config: imageRegistry).
        const images = { registry: "localhost:5000/three-tier-app", insecure: true };
        const byItself = await runUnderMocks(() => new ThreeTierApp("web", { instance: "pr-7", images }));
        const objects = (r: readonly RecordedResource[]) =>
            r.filter((x) => x.type !== K8S.provider).map((x) => ({ type: x.type, name: x.name, inputs: x.inputs }));
        assert.deepEqual(objects(byItself.resources), objects(fromConfig.resources));
    });

    it("relaxes pod security to baseline only for the tutorial's root nginx", async () => {
        const { resources } = await build({ frontendProfile: "tutorial" });
        const namespace = byKubeName(resources, K8S.namespace, "three-tier").inputs.metadata;
        assert.equal(namespace.labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(namespace.labels["pod-security.kubernetes.io/warn"], "restricted");
    });

    it("wires nginx → app:1323 → redis:6379 by Service names", async () => {
        const { resources } = await build();
        const backendConfig = ofType(resources, K8S.configMap).find((c) => c.inputs.data.REDIS_URL !== undefined);
        assert.deepEqual(backendConfig?.inputs.data, { REDIS_URL: "redis:6379" });
        const nginxConfig = ofType(resources, K8S.configMap).find((c) => c.inputs.data["nginx.conf"] !== undefined);
        assert.equal(
            nginxConfig?.inputs.data["nginx.conf"],
            renderNginxConfig({ listenPort: 8080, upstreams: ["app:1323"], runtimeDir: "/tmp" }),
        );
    });

    it("admits each tier's traffic only from the tier in front of it", async () => {
        const { resources } = await build();
        const from = (name: string) => byKubeName(resources, K8S.networkPolicy, name).inputs.spec.ingress[0].from;
        assert.deepEqual(from("redis-ingress"), [{ podSelector: { matchLabels: { app: "web", service: "app" } } }]);
        assert.deepEqual(from("backend-ingress"), [{ podSelector: { matchLabels: { app: "web", service: "nginx" } } }]);
        assert.equal(from("nginx-ingress"), undefined);
    });

    it("hands the Redis password Secret to both Redis and the API", async () => {
        const { resources } = await build({ redisPassword: "pw" });
        const secretName = ofType(resources, K8S.secret)[0].kubeName;
        const apiEnv = byKubeName(resources, K8S.deployment, "backend").inputs.spec.template.spec.containers[0].env;
        assert.deepEqual(apiEnv[1].valueFrom.secretKeyRef, { name: secretName, key: "password" });
        const redisEnv = byKubeName(resources, K8S.statefulSet, "redis").inputs.spec.template.spec.containers[0].env;
        assert.deepEqual(redisEnv[0].valueFrom.secretKeyRef, { name: secretName, key: "password" });
    });

    describe("destroy order", () => {
        // The engine deletes a resource only after everything that depends on it, and pulumi-kubernetes
        // waits until a deleted object is gone (finalizers included). So what depends on the Namespace is
        // gone before the namespace is deleted; on gke the provider, hence the node pool and the cluster,
        // comes after every object.
        async function recorded(raw: Parameters<typeof parseConfig>[0]) {
            const app = parseConfig(raw, "local").app;
            const recorder = new OptionRecorder();
            const { resources } = await runUnderMocks(() => {
                const provider = new k8s.Provider("test", {});
                return new ThreeTierApp("web", app, {
                    providers: [provider],
                    transformations: [recorder.transformation],
                });
            });
            return { recorder, resources };
        }

        it("every object in the namespace, a LoadBalancer Service among them, depends on the Namespace", async () => {
            const { recorder, resources } = await recorded({ frontendServiceType: "LoadBalancer" });
            const namespaced = kubernetesObjects(resources).filter((r) => r.type !== K8S.namespace);
            assert.ok(namespaced.some((r) => r.type === K8S.service && r.inputs.spec.type === "LoadBalancer"));
            for (const r of namespaced) {
                const metadata = recorder.inputs(r.type, r.name).metadata;
                assert.deepEqual(recorder.dependenciesOf(metadata.namespace), ["web-namespace"], r.name);
            }
        });

        it("with redisHostPath: claim, then the owned volume, then the namespace", async () => {
            const { recorder, resources } = await recorded({ redisHostPath: "/tmp/hostpath_pv/local-redis" });
            const volume = recorder.inputs("kubernetes:core/v1:PersistentVolume", "web-redis-volume");
            // cluster-scoped, so its claimRef is what ties it to the namespace
            assert.equal(volume.metadata.namespace, undefined);
            assert.deepEqual(recorder.dependenciesOf(volume.spec.claimRef.namespace), ["web-namespace"]);
            assert.deepEqual(recorder.dependenciesOf(volume.metadata.name), ["web-namespace"]);
            const claim = recorder.inputs(K8S.claim, "web-redis-data");
            assert.deepEqual(recorder.dependenciesOf(claim.spec.volumeName), ["web-redis-volume"]);
            assert.equal(
                byKubeName(resources, "kubernetes:core/v1:PersistentVolume", "three-tier-redis-data").name,
                "web-redis-volume",
            );
        });
    });
});
