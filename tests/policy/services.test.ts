import * as assert from "node:assert/strict";
import { externalExposure, serviceExposureViolations, ServiceProps } from "../../policy/rules/services";
import { previewProps, UNKNOWN_STRING } from "./helpers";

const service = (name: string, tier: string, spec: ServiceProps["spec"] = {}): ServiceProps => ({
    metadata: { name },
    spec: { selector: { app: "web", service: tier }, ...spec },
});

describe("policy: only-frontend-is-exposed", () => {
    describe("externalExposure", () => {
        const cases: [string, ServiceProps["spec"], string | undefined][] = [
            ["no type is ClusterIP", {}, undefined],
            ["ClusterIP", { type: "ClusterIP" }, undefined],
            ["LoadBalancer", { type: "LoadBalancer" }, "type LoadBalancer"],
            ["NodePort", { type: "NodePort" }, "type NodePort"],
            ["ClusterIP with externalIPs", { type: "ClusterIP", externalIPs: ["198.51.100.7"] }, "externalIPs"],
            ["ExternalName", { type: "ExternalName" }, undefined],
        ];
        for (const [name, spec, exposure] of cases) it(name, () => assert.equal(externalExposure(spec), exposure));
    });

    const cases: [string, ServiceProps, string[], string[]][] = [
        ["the frontend as LoadBalancer", service("nginx", "nginx", { type: "LoadBalancer" }), ["nginx"], []],
        ["the frontend as NodePort", service("nginx", "nginx", { type: "NodePort" }), ["nginx"], []],
        ["the API inside the cluster", service("app", "app", { type: "ClusterIP" }), ["nginx"], []],
        ["Redis inside the cluster", service("redis", "redis"), ["nginx"], []],
        [
            "the API as NodePort",
            service("app", "app", { type: "NodePort" }),
            ["nginx"],
            [
                'Service "app" is reachable from outside the cluster (type NodePort), but only "nginx" may be: use type ClusterIP',
            ],
        ],
        [
            "nothing exposable",
            service("nginx", "nginx", { type: "LoadBalancer" }),
            [],
            [
                'Service "nginx" is reachable from outside the cluster (type LoadBalancer), but only no Service may be: use type ClusterIP',
            ],
        ],
        [
            "Redis as LoadBalancer, even when listed",
            service("redis", "redis", { type: "LoadBalancer" }),
            ["nginx", "redis"],
            [
                'Service "redis" selects service=redis and is reachable from outside the cluster (type LoadBalancer): ' +
                    "Redis must stay internal (ClusterIP)",
            ],
        ],
        [
            "a Service named nginx selecting Redis",
            service("nginx", "redis", { type: "NodePort" }),
            ["nginx"],
            [
                'Service "nginx" selects service=redis and is reachable from outside the cluster (type NodePort): ' +
                    "Redis must stay internal (ClusterIP)",
            ],
        ],
        [
            "preview: an unknown type is skipped",
            previewProps(service("app", "app", { type: UNKNOWN_STRING })),
            ["nginx"],
            [],
        ],
    ];
    for (const [name, props, exposable, expected] of cases) {
        it(name, () => assert.deepEqual(serviceExposureViolations(props, exposable), expected));
    }
});
