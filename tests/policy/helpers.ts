// What the policy tests share: @pulumi/policy as the pack itself loads it, and the engine's sentinels
// for values unknown during preview.
//
// The pack is an npm workspace of the root package: one `npm ci` installs @pulumi/policy once, at the
// root, so this import and the rules load the very same module and UnknownValueError is the same class.
import {
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";

/** The engine's sentinels (sdk/go/common/resource/plugin/rpc.go) for a value unknown during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
export const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

/** Props as a policy receives them during preview: reading an unknown sentinel throws UnknownValueError. */
export function previewProps<T extends object>(props: object): T {
    return unknownCheckingProxy(props) as T;
}

/** Runs a resource policy as the engine would on one resource, with the given policy config. */
export function validateResource(
    policy: ResourceValidationPolicy,
    resource: { readonly type: string; readonly props: object; readonly urn?: string },
    config: object = {},
): string[] {
    const reported: string[] = [];
    const args = {
        type: resource.type,
        props: resource.props,
        urn: resource.urn ?? `urn:pulumi:test::three-tier-app::${resource.type}::x`,
        getConfig: () => config,
    } as unknown as ResourceValidationArgs;
    const validations = policy.validateResource;
    for (const validate of Array.isArray(validations) ? validations : [validations]) {
        void validate?.(args, (message) => reported.push(message));
    }
    return reported;
}

/** Runs a stack policy as the engine would on the given resources. */
export function validateStack(
    policy: StackValidationPolicy,
    resources: readonly { type: string; props: object; name?: string; opts?: { protect?: boolean } }[],
): string[] {
    const reported: string[] = [];
    const args = { resources, getConfig: () => ({}) } as unknown as StackValidationArgs;
    void policy.validateStack(args, (message) => reported.push(message));
    return reported;
}
