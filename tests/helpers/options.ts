// Resource options as the SDK hands them to each resource: mocks see only inputs, not `protect` or
// `dependsOn`. A transformation on the component under test sees the component and every child.
import * as pulumi from "@pulumi/pulumi";

interface Registration {
    readonly type: string;
    readonly name: string;
    readonly resource: pulumi.Resource;
    readonly opts: pulumi.ResourceOptions;
}

export class OptionRecorder {
    private readonly registrations: Registration[] = [];

    /** Pass in the component's options: `{ transformations: [recorder.transformation] }`. */
    readonly transformation: pulumi.ResourceTransformation = ({ type, name, resource, opts }) => {
        this.registrations.push({ type, name, resource, opts });
        return undefined;
    };

    /** The options the resource of this type and Pulumi name was given; fails unless there is exactly one. */
    options(type: string, name: string): pulumi.ResourceOptions {
        const found = this.registrations.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
        return found[0].opts;
    }

    /** Pulumi names of the resources this one was given in `dependsOn`. */
    dependsOn(type: string, name: string): string[] {
        const dependsOn = this.options(type, name).dependsOn ?? [];
        return (Array.isArray(dependsOn) ? dependsOn : [dependsOn]).map((d) => {
            const found = this.registrations.find((r) => r.resource === d);
            if (found === undefined) throw new Error(`${name} depends on a resource this recorder did not see`);
            return found.name;
        });
    }

    /** Pulumi names of every resource given `protect: true`, sorted. */
    protectedNames(): string[] {
        return this.registrations
            .filter((r) => r.opts.protect === true)
            .map((r) => r.name)
            .sort();
    }
}
