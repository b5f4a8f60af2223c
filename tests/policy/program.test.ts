// The pack against what the program really registers (under mocks) for each stack: the program's own
// resources must pass, so a preview with `--policy-pack policy` fails only on real regressions.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES } from "../../policy/policies";
import { StackValidationPolicy } from "@pulumi/policy";
import { RecordedResource } from "../helpers/mocks";
import { runProgram } from "../helpers/stack-config";
import { REPO_ROOT } from "../../project";
import { validateResource, validateStack } from "./helpers";

/** Resources as policies see them: Kubernetes objects carry the name auto-naming gave them. */
function asPolicySees(stack: string, r: RecordedResource) {
    const props = r.type.startsWith("kubernetes:")
        ? { ...r.inputs, metadata: { ...r.inputs.metadata, name: r.kubeName } }
        : r.inputs;
    return { type: r.type, name: r.name, props, urn: `urn:pulumi:${stack}::three-tier-app::${r.type}::${r.name}` };
}

/** Every violation the pack reports for the program on a stack, as `policy: message`. */
async function violations(
    stack: string,
    overrides: Record<string, string> = {},
    policyConfig: Record<string, object> = {},
) {
    const { resources } = await runProgram(stack, overrides);
    const seen = resources.map((r) => asPolicySees(stack, r));
    return POLICIES.flatMap((policy) => {
        const messages =
            "validateStack" in policy
                ? validateStack(policy as StackValidationPolicy, seen)
                : seen.flatMap((resource) => validateResource(policy, resource, policyConfig[policy.name] ?? {}));
        return messages.map((m) => `${policy.name}: ${m}`);
    });
}

describe("policy pack on the program", () => {
    for (const stack of ["dev", "gke"]) {
        it(`passes stack ${stack} as configured`, async () => assert.deepEqual(await violations(stack), []));
    }

    // [what, stack, config overrides]
    const passing: [string, string, Record<string, string>][] = [
        [
            "a review stack (target stack: a namespace in gke's cluster)",
            "dev",
            {
                "three-tier-app:target": "stack",
                "three-tier-app:clusterStack": "organization/three-tier-app/gke",
                "three-tier-app:namespace": "pr-7",
            },
        ],
        [
            "gke on Autopilot, whose cluster has no default pool to name an account for",
            "gke",
            {
                "three-tier-app:gkeMode": "autopilot",
                "three-tier-app:gkeLocation": "us-central1",
                "three-tier-app:gkeDataZone": "us-central1-f",
            },
        ],
        [
            "gke with private nodes behind the DNS endpoint alone, no authorized networks needed",
            "gke",
            { "three-tier-app:gkePrivateNodes": "true" },
        ],
    ];
    for (const [what, stack, overrides] of passing) {
        it(`passes ${what}`, async () => assert.deepEqual(await violations(stack, overrides), []));
    }

    it("refuses gke with private nodes behind an IP endpoint open to every address", async () =>
        assert.deepEqual(
            await violations("gke", {
                "three-tier-app:gkePrivateNodes": "true",
                "three-tier-app:gkeIpEndpoint": "true",
            }),
            [
                "gke-cluster-hygiene: private nodes behind a control-plane IP endpoint open to every address: list " +
                    "the networks that may reach it in masterAuthorizedNetworksConfig.cidrBlocks (config " +
                    "gkeAuthorizedNetworks), turn it off (controlPlaneEndpointsConfig.ipEndpointsConfig.enabled " +
                    "false, config gkeIpEndpoint false: the DNS endpoint admits by IAM), or add the stack to the " +
                    "policy config openEndpointStacks",
            ],
        ));

    it("refuses gke running an image it did not build (a tag from Docker Hub)", async () =>
        assert.deepEqual(await violations("gke", { "three-tier-app:redisImage": "redis:7.4.2-alpine" }), [
            'gke-images-come-from-the-stacks-registry: StatefulSet/redis container "redis" image "redis:7.4.2-alpine" ' +
                "is not pinned by digest in the stack's repository us-central1-docker.pkg.dev/my-gcp-project/three-tier-app/: " +
                "deploy the image the program builds",
        ]));

    it("passes a Redis password, which adds --requirepass to the command line", async () =>
        assert.deepEqual(await violations("dev", { "three-tier-app:redisPassword": "s3cret" }), []));

    describe("the tutorial frontend profile (root nginx)", () => {
        const tutorial = {
            "three-tier-app:frontendProfile": "tutorial",
            "three-tier-app:frontendImage": "c1524db4f1/kubernetes-tutorial-frontend:v0.2.0",
        };
        it("is refused by default", async () =>
            assert.deepEqual(await violations("dev", tutorial), [
                'containers-run-as-non-root: container "nginx" may run as root: set runAsNonRoot: true or a non-zero runAsUser ' +
                    "in the pod or container securityContext",
            ]));
        it("passes with policy/examples/tutorial-frontend.json", async () => {
            const config = JSON.parse(
                fs.readFileSync(path.join(REPO_ROOT, "policy", "examples", "tutorial-frontend.json"), "utf8"),
            );
            assert.deepEqual(await violations("dev", tutorial, config), []);
        });
    });

    it("refuses an unprotected cluster on a stack the policy config calls long-lived", async () =>
        assert.deepEqual(
            await violations(
                "gke",
                { "three-tier-app:protect": "false" },
                { "gke-cluster-hygiene": { longLivedStacks: ["gke"] } },
            ),
            [
                'gke-cluster-hygiene: deletionProtection is false on stack "gke", a long-lived stack (matches "gke"): set it true',
            ],
        ));

    it("accepts gke protected, as its stack file has it, on a stack the policy config calls long-lived", async () =>
        assert.deepEqual(await violations("gke", {}, { "gke-cluster-hygiene": { longLivedStacks: ["gke"] } }), []));
});
