// Resource options and unresolved inputs as the SDK hands them to each resource: mocks see only resolved
// inputs, not `protect`, `dependsOn` or which resources an input depends on. A transformation on the
// component under test sees the component and every child.
import * as pulumi from "@pulumi/pulumi";

interface Registration {
    readonly type: string;
    readonly name: string;
    readonly resource: pulumi.Resource;
    readonly props: pulumi.Inputs;
    readonly opts: pulumi.ResourceOptions;
}

export class OptionRecorder {
    private readonly registrations: Registration[] = [];

    /** Pass in the component's options: `{ transformations: [recorder.transformation] }`. */
    readonly transformation: pulumi.ResourceTransformation = ({ type, name, resource, props, opts }) => {
        this.registrations.push({ type, name, resource, props, opts });
        return undefined;
    };

    private find(type: string, name: string): Registration {
        const found = this.registrations.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
        return found[0];
    }

    private nameOf(resource: unknown): string {
        const found = this.registrations.find((r) => r.resource === resource);
        if (found === undefined) throw new Error("a dependency on a resource this recorder did not see");
        return found.name;
    }

    /** The options the resource of this type and Pulumi name was given; fails unless there is exactly one. */
    options(type: string, name: string): pulumi.ResourceOptions {
        return this.find(type, name).opts;
    }

    /** Its inputs as given: Outputs unresolved. */
    inputs(type: string, name: string): pulumi.Inputs {
        return this.find(type, name).props;
    }

    /** Pulumi names of the resources this one was given in `dependsOn` (a plain list). */
    dependsOn(type: string, name: string): string[] {
        const dependsOn = this.options(type, name).dependsOn ?? [];
        return (Array.isArray(dependsOn) ? dependsOn : [dependsOn]).map((d) => this.nameOf(d));
    }

    /**
     * Pulumi names of the resources an input Output comes from: what the SDK reports to the engine as the
     * input's dependencies, so the engine creates those first and deletes them last. Reads the SDK's own
     * record of an Output's resources (not in its typings).
     */
    dependenciesOf(input: unknown): string[] {
        if (!pulumi.Output.isInstance(input)) return [];
        const resources = (input as unknown as { resources(): Set<pulumi.Resource> }).resources();
        return [...resources].map((r) => this.nameOf(r)).sort();
    }

    /** Pulumi names of every resource given `protect: true`, sorted. */
    protectedNames(): string[] {
        return this.registrations
            .filter((r) => r.opts.protect === true)
            .map((r) => r.name)
            .sort();
    }
}
