// A password the program makes once and keeps in its state, as a secret: there is no random provider
// here, so a small dynamic provider does it. The value changes only when the resource is replaced.
import { randomBytes, randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** Default of GeneratedPasswordArgs.bytes: 192 bits. */
export const PASSWORD_BYTES = 24;

export interface GeneratedPasswordArgs {
    /** Random bytes in the password, which is their base64url text. Default: PASSWORD_BYTES. */
    readonly bytes?: number;
}

/** A new password of `bytes` random bytes, as base64url (no characters a shell or URL would mangle). */
export function newPassword(bytes: number): string {
    return randomBytes(bytes).toString("base64url");
}

const passwordProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { bytes: number }) {
        return { id: randomUUID(), outs: { bytes: inputs.bytes, value: newPassword(inputs.bytes) } };
    },
    async diff(_id: string, olds: { bytes: number }, news: { bytes: number }) {
        const changed = olds.bytes !== news.bytes;
        return { changes: changed, replaces: changed ? ["bytes"] : [] };
    },
};

/** A password generated at its creation and kept, secret, in the stack's state. */
export class GeneratedPassword extends pulumi.dynamic.Resource {
    // `declare`: a field initialiser would overwrite the output the base constructor set.
    declare public readonly value: pulumi.Output<string>;

    constructor(name: string, args: GeneratedPasswordArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(
            passwordProvider,
            name,
            { bytes: args.bytes ?? PASSWORD_BYTES, value: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["value"] }),
        );
    }
}
