import * as assert from "node:assert/strict";
import {
    imagePinProblem,
    nonRootViolations,
    pinnedImageViolations,
    probesAndResourcesViolations,
    rootProblem,
} from "../../policy/rules/containers";
import { Container, PodSpec, SecurityContext, WorkloadProps } from "../../policy/rules/kubernetes";
import { previewProps, UNKNOWN_ARRAY, UNKNOWN_OBJECT, UNKNOWN_STRING } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const CRONJOB = "kubernetes:batch/v1:CronJob";
const POD = "kubernetes:core/v1:Pod";

/** A container that passes every container rule. */
const GOOD: Container = {
    name: "app",
    image: "backend:v0.3.0",
    readinessProbe: { httpGet: { path: "/healthz", port: 1323 } },
    livenessProbe: { tcpSocket: { port: 1323 } },
    resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false },
};
const NON_ROOT_POD: SecurityContext = { runAsNonRoot: true, runAsUser: 101 };

const podOf = (containers: Container[], extra: PodSpec = {}): PodSpec => ({
    securityContext: NON_ROOT_POD,
    containers,
    ...extra,
});
const deployment = (pod: PodSpec, name = "backend"): WorkloadProps => ({
    metadata: { name },
    spec: { template: { spec: pod } },
});

interface Case {
    readonly name: string;
    readonly type: string;
    readonly props: WorkloadProps;
    readonly expected: string[];
}

describe("policy: containers-have-probes-and-resources", () => {
    const bare: Container = { name: "app", image: "backend:v1" };
    const cases: Case[] = [
        { name: "a complete Deployment passes", type: DEPLOYMENT, props: deployment(podOf([GOOD])), expected: [] },
        {
            name: "a bare container misses everything",
            type: DEPLOYMENT,
            props: deployment(podOf([bare])),
            expected: [
                'container "app" has no readinessProbe',
                'container "app" has no livenessProbe',
                'container "app" has no resources.requests.cpu',
                'container "app" has no resources.requests.memory',
                'container "app" has no resources.limits.memory',
            ],
        },
        {
            name: "a StatefulSet without liveness probe or memory limit",
            type: STATEFULSET,
            props: deployment(
                podOf([
                    {
                        ...GOOD,
                        name: "redis",
                        livenessProbe: undefined,
                        resources: { requests: { cpu: 1, memory: "1Gi" } },
                    },
                ]),
            ),
            expected: ['container "redis" has no livenessProbe', 'container "redis" has no resources.limits.memory'],
        },
        {
            name: "init containers need no probes",
            type: DEPLOYMENT,
            props: deployment(podOf([GOOD], { initContainers: [bare] })),
            expected: [],
        },
        {
            name: "a CronJob's pod template is checked",
            type: CRONJOB,
            props: {
                spec: {
                    jobTemplate: { spec: { template: { spec: podOf([{ ...GOOD, readinessProbe: undefined }]) } } },
                },
            },
            expected: ['container "app" has no readinessProbe'],
        },
        {
            name: "a bare Pod is checked",
            type: POD,
            props: { spec: podOf([{ ...GOOD, resources: undefined }]) },
            expected: [
                'container "app" has no resources.requests.cpu',
                'container "app" has no resources.requests.memory',
                'container "app" has no resources.limits.memory',
            ],
        },
        {
            name: "other types are not workloads",
            type: "kubernetes:core/v1:Service",
            props: { spec: {} },
            expected: [],
        },
        {
            name: "preview: an unknown probe skips only that check",
            type: DEPLOYMENT,
            props: previewProps(
                deployment(
                    podOf([{ ...GOOD, readinessProbe: UNKNOWN_OBJECT as unknown as object, livenessProbe: undefined }]),
                ),
            ),
            expected: ['container "app" has no livenessProbe'],
        },
        {
            name: "preview: an unknown container list skips the pod",
            type: DEPLOYMENT,
            props: previewProps(deployment({ containers: UNKNOWN_ARRAY as unknown as Container[] })),
            expected: [],
        },
    ];
    for (const c of cases)
        it(c.name, () => assert.deepEqual(probesAndResourcesViolations(c.type, c.props), c.expected));
});

describe("policy: images-are-pinned", () => {
    describe("imagePinProblem", () => {
        const digest = "sha256:" + "a".repeat(64);
        const cases: [string, string | undefined][] = [
            ["redis:7.4.2-alpine", undefined],
            ["registry.example.com:5000/team/app:1.2", undefined],
            [`nginx@${digest}`, undefined],
            [`nginx:1.27@${digest}`, undefined],
            ["nginx", "has no tag"],
            ["registry.example.com:5000/team/app", "has no tag"],
            ["nginx:latest", 'uses the mutable "latest" tag'],
            ["nginx@sha256:abc", "has no tag"],
        ];
        for (const [image, problem] of cases) it(image, () => assert.equal(imagePinProblem(image), problem));
    });

    const cases: Case[] = [
        { name: "pinned images pass", type: DEPLOYMENT, props: deployment(podOf([GOOD])), expected: [] },
        {
            name: "latest and tagless images, init containers included",
            type: DEPLOYMENT,
            props: deployment(
                podOf([{ ...GOOD, image: "nginx:latest" }], { initContainers: [{ name: "wait", image: "busybox" }] }),
            ),
            expected: [
                'init container "wait" image "busybox" has no tag: pin a version tag or a digest',
                'container "app" image "nginx:latest" uses the mutable "latest" tag: pin a version tag or a digest',
            ],
        },
        {
            name: "preview: an unknown image is skipped",
            type: DEPLOYMENT,
            props: previewProps(
                deployment(
                    podOf([
                        { ...GOOD, image: UNKNOWN_STRING },
                        { ...GOOD, name: "side", image: "x" },
                    ]),
                ),
            ),
            expected: ['container "side" image "x" has no tag: pin a version tag or a digest'],
        },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(pinnedImageViolations(c.type, c.props), c.expected));
});

describe("policy: containers-run-as-non-root", () => {
    describe("rootProblem", () => {
        const MAY =
            "may run as root: set runAsNonRoot: true or a non-zero runAsUser in the pod or container securityContext";
        const cases: [string, SecurityContext | undefined, SecurityContext | undefined, string | undefined][] = [
            ["runAsNonRoot on the pod", { runAsNonRoot: true }, undefined, undefined],
            ["runAsNonRoot on the container", undefined, { runAsNonRoot: true }, undefined],
            ["a non-zero uid on the pod", { runAsUser: 999 }, {}, undefined],
            ["nothing set", undefined, undefined, MAY],
            ["runAsNonRoot false", { runAsNonRoot: false }, {}, MAY],
            ["the container's false overrides the pod's true", { runAsNonRoot: true }, { runAsNonRoot: false }, MAY],
            ["uid 0 on the pod", { runAsNonRoot: true, runAsUser: 0 }, undefined, "runs as root (runAsUser: 0)"],
            [
                "the container's uid 0 overrides the pod's",
                { runAsUser: 101 },
                { runAsUser: 0 },
                "runs as root (runAsUser: 0)",
            ],
        ];
        for (const [name, pod, container, problem] of cases)
            it(name, () => assert.equal(rootProblem(pod, container), problem));
    });

    const tutorialPod = (): PodSpec => ({
        securityContext: { runAsNonRoot: false },
        containers: [{ ...GOOD, name: "nginx" }],
    });
    const cases: (Case & { readonly allowRoot?: string[] })[] = [
        {
            name: "non-root without escalation passes",
            type: DEPLOYMENT,
            props: deployment(podOf([GOOD])),
            expected: [],
        },
        {
            name: "root and escalation, init containers included",
            type: DEPLOYMENT,
            props: deployment({
                initContainers: [{ name: "init", image: "busybox:1", securityContext: { runAsUser: 0 } }],
                containers: [{ ...GOOD, securityContext: {} }],
            }),
            expected: [
                'init container "init" must set securityContext.allowPrivilegeEscalation: false',
                'init container "init" runs as root (runAsUser: 0)',
                'container "app" must set securityContext.allowPrivilegeEscalation: false',
                'container "app" may run as root: set runAsNonRoot: true or a non-zero runAsUser in the pod or container securityContext',
            ],
        },
        {
            name: "the tutorial's root nginx is refused by default",
            type: DEPLOYMENT,
            props: deployment(tutorialPod(), "frontend"),
            expected: [
                'container "nginx" may run as root: set runAsNonRoot: true or a non-zero runAsUser in the pod or container securityContext',
            ],
        },
        {
            name: "an allowlisted workload may run as root",
            type: DEPLOYMENT,
            props: deployment(tutorialPod(), "frontend"),
            allowRoot: ["Deployment/frontend"],
            expected: [],
        },
        {
            name: "an allowlisted workload still may not escalate",
            type: DEPLOYMENT,
            props: deployment(
                { ...tutorialPod(), containers: [{ ...GOOD, name: "nginx", securityContext: undefined }] },
                "frontend",
            ),
            allowRoot: ["Deployment/frontend"],
            expected: ['container "nginx" must set securityContext.allowPrivilegeEscalation: false'],
        },
        {
            name: "the allowlist names kind and name",
            type: STATEFULSET,
            props: deployment(tutorialPod(), "frontend"),
            allowRoot: ["Deployment/frontend"],
            expected: [
                'container "nginx" may run as root: set runAsNonRoot: true or a non-zero runAsUser in the pod or container securityContext',
            ],
        },
        {
            name: "preview: an unknown workload name skips the root check",
            type: DEPLOYMENT,
            props: previewProps(deployment(tutorialPod(), UNKNOWN_STRING)),
            expected: [],
        },
        {
            name: "preview: an unknown securityContext skips that container's checks",
            type: DEPLOYMENT,
            props: previewProps(deployment(podOf([{ ...GOOD, securityContext: UNKNOWN_OBJECT as SecurityContext }]))),
            expected: [],
        },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepEqual(nonRootViolations(c.type, c.props, c.allowRoot ?? []), c.expected));
    }
});
