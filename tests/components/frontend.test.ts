import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { Frontend, frontendHint, frontendPodSpec, FrontendProfile, frontendUrl } from "../../components/frontend";
import { referencedImage, type ServiceType } from "../../components/workload";
import { NGINX_HEALTH_PATH, renderNginxConfig } from "../../components/nginx-config";
import { byKubeName, K8S, ofType, runUnderMocks, unwrap } from "../helpers/mocks";

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

describe("Frontend", () => {
    describe("unprivileged profile", () => {
        it("runs the rendered proxy config from a ConfigMap", async () => {
            const { resources } = await build("unprivileged");
            const configs = ofType(resources, K8S.configMap);
            assert.equal(configs.length, 1);
            assert.equal(
                configs[0].inputs.data["nginx.conf"],
                renderNginxConfig({ listenPort: 8080, upstreams: ["app:1323"], runtimeDir: "/tmp" }),
            );
            const pod = byKubeName(resources, K8S.deployment, "frontend").inputs.spec.template.spec;
            assert.deepEqual(pod.volumes, [
                { name: "config", configMap: { name: configs[0].kubeName } },
                { name: "runtime", emptyDir: { sizeLimit: "64Mi" } },
            ]);
            const container = pod.containers[0];
            assert.deepEqual(container.command, ["nginx"]);
            assert.deepEqual(container.args, ["-c", "/etc/nginx/managed/nginx.conf", "-g", "daemon off;"]);
            assert.deepEqual(container.volumeMounts, [
                { name: "config", mountPath: "/etc/nginx/managed", readOnly: true },
                { name: "runtime", mountPath: "/tmp" },
            ]);
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
            assert.deepEqual(container.resources, {
                requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "64Mi" },
                limits: { memory: "128Mi", "ephemeral-storage": "128Mi" },
            });
            // Its temp files go to an emptyDir with a limit of its own.
            assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === "runtime").emptyDir, {
                sizeLimit: "64Mi",
            });
            const policy = byKubeName(resources, K8S.networkPolicy, "nginx-ingress").inputs.spec;
            assert.deepEqual(policy.ingress, [{ ports: [{ protocol: "TCP", port: 8080 }] }]);
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
            const policy = byKubeName(resources, K8S.networkPolicy, "nginx-ingress").inputs.spec;
            assert.deepEqual(policy.ingress, [{ ports: [{ protocol: "TCP", port: 80 }] }]);
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
        assert.equal(deployment.replicas, 2);
        assert.deepEqual(deployment.strategy, {
            type: "RollingUpdate",
            rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        });
        const service = byKubeName(resources, K8S.service, "nginx").inputs.spec;
        assert.equal(service.type, "LoadBalancer");
        // Awaited, so the load balancer's address is known for the frontendUrl output.
        assert.deepEqual(byKubeName(resources, K8S.service, "nginx").inputs.metadata.annotations, {});
        assert.deepEqual(service.ports, [{ name: "http", port: 80, targetPort: "http" }]);
        assert.deepEqual(service.selector, deployment.selector.matchLabels);
        assert.deepEqual(service.selector, { app: "web", service: "nginx" });
        const budget = byKubeName(resources, K8S.disruptionBudget, "frontend").inputs.spec;
        assert.deepEqual(budget.selector.matchLabels, { app: "web", service: "nginx" });
    });

    for (const profile of ["unprivileged", "tutorial"] as const) {
        it(`keeps serving ${profile} nginx for 10 s after termination starts, within a 30 s grace period`, async () => {
            const { resources } = await build(profile);
            const pod = byKubeName(resources, K8S.deployment, "frontend").inputs.spec.template.spec;
            assert.deepEqual(pod.containers[0].lifecycle, { preStop: { sleep: { seconds: 10 } } });
            assert.equal(pod.terminationGracePeriodSeconds, 30);
            assert.equal(pod.automountServiceAccountToken, false);
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
