import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { Frontend, frontendHint, frontendPodSpec, FrontendProfile, frontendUrl } from "../../components/frontend";
import { referencedImage, type ServiceType } from "../../components/workload";
import { NGINX_HEALTH_PATH, renderNginxConfig } from "../../components/nginx-config";
import { byKubeName, K8S, ofType, RecordedResource, runUnderMocks, unwrap } from "../helpers/mocks";
import { admits, configFile, mountOf, portNumber, quantity, seconds, selects } from "../helpers/pods";

function build(profile: FrontendProfile, serviceType: ServiceType = "NodePort", host?: string) {
    return runUnderMocks(() => {
        const provider = new k8s.Provider("test", {});
        const frontend = new Frontend(
            "frontend",
            {
                namespace: "ns",
                instance: "test",
                profile,
                image: referencedImage(
                    profile === "tutorial"
                        ? "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0"
                        : "nginxinc/nginx-unprivileged:1.28.0-alpine",
                ),
                replicas: 2,
                serviceType,
                host,
                upstream: "app:1323",
            },
            { provider },
        );
        return { frontend };
    });
}

/** The frontend faces the internet: its NetworkPolicy admits any client, on nginx's port only. */
function assertOpenToAnyoneOn(resources: readonly RecordedResource[], port: number) {
    const policy = byKubeName(resources, K8S.networkPolicy, "nginx-ingress").inputs.spec;
    assert.ok(admits(policy, "ingress", {}, port), `no client admitted on ${port}`);
    assert.ok(!admits(policy, "ingress", {}, port + 1), `a client admitted on ${port + 1}`);
}

describe("Frontend", () => {
    describe("unprivileged profile", () => {
        it("runs the config rendered for its port and upstream, with a writable runtime directory", async () => {
            const { resources } = await build("unprivileged");
            const pod = byKubeName(resources, K8S.deployment, "frontend").inputs.spec.template.spec;
            const container = pod.containers[0];
            // The image's entrypoint scripts rewrite files under /etc/nginx, read-only here: nginx is run itself.
            assert.deepEqual(container.command, ["nginx"]);
            const configPath = container.args[container.args.indexOf("-c") + 1];
            const config = configFile(resources, pod, container, configPath);
            assert.ok(mountOf(pod, container, configPath).mount.readOnly, "the config is mounted read-only");
            const runtimeDir = /^pid (\S+)\/nginx\.pid;$/m.exec(config)?.[1];
            assert.ok(runtimeDir, "the config names its pid file");
            const runtime = mountOf(pod, container, runtimeDir);
            assert.ok(runtime.volume.emptyDir && !runtime.mount.readOnly, `${runtimeDir} is not a writable emptyDir`);
            const listenPort = portNumber(container, "http");
            assert.equal(config, renderNginxConfig({ listenPort, upstreams: ["app:1323"], runtimeDir }));
        });

        it("listens unprivileged on 8080 as uid 10101 with a read-only root filesystem", async () => {
            const { resources } = await build("unprivileged");
            const pod = byKubeName(resources, K8S.deployment, "frontend").inputs.spec.template.spec;
            assert.deepEqual(pod.securityContext, {
                runAsNonRoot: true,
                runAsUser: 10101,
                runAsGroup: 10101,
                seccompProfile: { type: "RuntimeDefault" },
            });
            const container = pod.containers[0];
            assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080 }]);
            assert.deepEqual(container.securityContext, {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
            });
            assert.deepEqual(container.readinessProbe.httpGet, { path: NGINX_HEALTH_PATH, port: "http" });
            // Alive while it accepts connections: an overloaded nginx is taken out, not restarted.
            assert.deepEqual(container.livenessProbe.tcpSocket, { port: "http" });
            assert.equal(container.livenessProbe.httpGet, undefined);
            // Its temp files go to emptyDirs with a limit of their own, within the container's disk limit.
            for (const v of pod.volumes.filter((v: any) => v.emptyDir)) {
                const limit = quantity(container.resources.limits["ephemeral-storage"]);
                assert.ok(quantity(v.emptyDir.sizeLimit) <= limit, `emptyDir ${v.name}: ${v.emptyDir.sizeLimit}`);
            }
            assertOpenToAnyoneOn(resources, 8080);
        });
    });

    describe("tutorial profile", () => {
        it("starts the tutorial's image as root on :80 with only the capabilities nginx needs", async () => {
            const { resources } = await build("tutorial");
            assert.equal(ofType(resources, K8S.configMap).length, 0);
            const pod = byKubeName(resources, K8S.deployment, "frontend").inputs.spec.template.spec;
            assert.deepEqual(pod.securityContext, { runAsNonRoot: false, seccompProfile: { type: "RuntimeDefault" } });
            assert.equal(pod.volumes, undefined);
            const container = pod.containers[0];
            assert.equal(container.image, "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0");
            assert.deepEqual(container.args, ["nginx", "-g", "daemon off;"]);
            assert.deepEqual(container.ports, [{ name: "http", containerPort: 80 }]);
            assert.deepEqual(container.securityContext, {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: false,
                capabilities: { drop: ["ALL"], add: ["CHOWN", "SETGID", "SETUID", "NET_BIND_SERVICE"] },
            });
            assert.deepEqual(container.readinessProbe.tcpSocket, { port: "http" });
            assertOpenToAnyoneOn(resources, 80);
        });
    });

    it("refuses the managed-config profile without its ConfigMap", () => {
        assert.throws(
            () =>
                frontendPodSpec({
                    profile: "unprivileged",
                    image: "nginx:1",
                    resources: {
                        cpuRequest: "1m",
                        memoryRequest: "1Mi",
                        memoryLimit: "1Mi",
                        ephemeralStorageRequest: "1Mi",
                        ephemeralStorageLimit: "1Mi",
                    },
                }),
            { message: 'frontend profile "unprivileged" runs the managed nginx config and needs its ConfigMap' },
        );
    });

    it("exposes Service `nginx` on port 80 to the pods' http port, with the configured type", async () => {
        const { resources } = await build("unprivileged", "LoadBalancer");
        const deployment = byKubeName(resources, K8S.deployment, "frontend").inputs.spec;
        const podLabels = deployment.template.metadata.labels;
        assert.equal(deployment.replicas, 2);
        assert.equal(deployment.strategy.rollingUpdate.maxUnavailable, 0);
        assert.ok(deployment.strategy.rollingUpdate.maxSurge >= 1);
        const service = byKubeName(resources, K8S.service, "nginx").inputs.spec;
        assert.equal(service.type, "LoadBalancer");
        // Awaited, so the load balancer's address is known for the frontendUrl output.
        const annotations = byKubeName(resources, K8S.service, "nginx").inputs.metadata.annotations ?? {};
        assert.equal(annotations["pulumi.com/skipAwait"], undefined);
        assert.deepEqual(service.ports, [{ name: "http", port: 80, targetPort: "http" }]);
        // The tutorial's labels, which its kubectl commands select by.
        assert.deepEqual(service.selector, { app: "web", service: "nginx" });
        assert.ok(selects(service.selector, podLabels));
        const budget = byKubeName(resources, K8S.disruptionBudget, "frontend").inputs.spec;
        assert.ok(selects(budget.selector.matchLabels, podLabels));
    });

    for (const profile of ["unprivileged", "tutorial"] as const) {
        it(`keeps ${profile} nginx serving while it drains, then lets a proxied request finish`, async () => {
            const { resources } = await build(profile);
            const pod = byKubeName(resources, K8S.deployment, "frontend").inputs.spec.template.spec;
            const drain = pod.containers[0].lifecycle.preStop.sleep.seconds;
            // Its clients reach it through any node: every node must drop the endpoint first, which takes
            // longer than for the API, whose only client is nginx (components/backend.ts: 5 s).
            assert.ok(drain > 5, `drain ${drain} s`);
            // The longest a request proxied by the managed config takes; the tutorial's baked one is held to it too.
            const config = renderNginxConfig({ listenPort: 8080, upstreams: ["app:1323"], runtimeDir: "/tmp" });
            const timeout = (name: string) => seconds(new RegExp(`^\\s*${name}\\s+(\\S+);$`, "m").exec(config)![1]);
            const request = timeout("proxy_connect_timeout") + timeout("proxy_read_timeout");
            const grace = pod.terminationGracePeriodSeconds ?? 30;
            assert.ok(grace - drain >= request, `grace ${grace} s, drain ${drain} s, a proxied request ${request} s`);
        });
    }

    it("reports a URL a script can use, and a separate hint for people", async () => {
        const loadBalanced = (await build("unprivileged", "LoadBalancer")).result.frontend;
        assert.equal(await unwrap(loadBalanced.url), "http://203.0.113.10");
        assert.equal(await unwrap(loadBalanced.hint), "the load balancer of Service nginx in namespace ns");
        const nodePort = (await build("unprivileged", "NodePort")).result.frontend;
        assert.equal(await unwrap(nodePort.url), "");
        assert.equal(
            await unwrap(nodePort.hint),
            "node port 30080 of Service nginx in namespace ns on any node's address " +
                "(minikube: minikube service nginx -n ns --url); set frontendHost to a node's address to get frontendUrl",
        );
        const withHost = (await build("unprivileged", "NodePort", "172.31.255.2")).result.frontend;
        assert.equal(await unwrap(withHost.url), "http://172.31.255.2:30080");
    });

    describe("frontendUrl", () => {
        const cases: [Parameters<typeof frontendUrl>[0], string][] = [
            [{ serviceType: "LoadBalancer", namespace: "ns", loadBalancerAddress: "34.1.2.3" }, "http://34.1.2.3"],
            [
                { serviceType: "LoadBalancer", namespace: "ns", loadBalancerAddress: "lb.example.com" },
                "http://lb.example.com",
            ],
            [{ serviceType: "LoadBalancer", namespace: "ns" }, ""],
            [{ serviceType: "NodePort", namespace: "web", nodePort: 31494 }, ""],
            [
                { serviceType: "NodePort", namespace: "web", host: "172.31.255.2", nodePort: 31494 },
                "http://172.31.255.2:31494",
            ],
            [{ serviceType: "NodePort", namespace: "web", host: "fd00::2", nodePort: 31494 }, "http://[fd00::2]:31494"],
            [{ serviceType: "NodePort", namespace: "web", host: "node-1.example.com" }, ""],
            [{ serviceType: "ClusterIP", namespace: "web", host: "172.31.255.2" }, ""],
        ];
        for (const [args, url] of cases) {
            it(`${JSON.stringify(args)} → "${url}"`, () => assert.equal(frontendUrl(args), url));
        }
    });

    describe("frontendHint", () => {
        const cases: [Parameters<typeof frontendHint>[0], string][] = [
            [
                { serviceType: "LoadBalancer", namespace: "ns" },
                "the load balancer of Service nginx in namespace ns has no address yet (minikube: run minikube tunnel)",
            ],
            [
                { serviceType: "NodePort", namespace: "web", host: "172.31.255.2", nodePort: 31494 },
                "node port 31494 of Service nginx in namespace web on any node's address (minikube: minikube service nginx -n web --url)",
            ],
            [
                { serviceType: "ClusterIP", namespace: "web" },
                "kubectl -n web port-forward svc/nginx 8080:80, then http://localhost:8080",
            ],
        ];
        for (const [args, hint] of cases) it(args.serviceType, () => assert.equal(frontendHint(args), hint));
    });
});
