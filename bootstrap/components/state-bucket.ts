import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface StateBucketArgs {
    /** The GCP project. */
    readonly project: pulumi.Input<string>;
    /** The bucket's name, unique across all of Cloud Storage. */
    readonly name: string;
    /** Region the bucket lives in. */
    readonly location: string;
    /** GCP labels. Default: none. */
    readonly labels?: Record<string, string>;
}

/**
 * The bucket the app's stacks keep their Pulumi state in (a DIY backend, `gs://<name>`): IAM only, never
 * public, every write kept as a version.
 */
export class StateBucket extends pulumi.ComponentResource {
    public readonly name: pulumi.Output<string>;
    /** `gs://<name>`: the backend URL for `pulumi login` and PULUMI_BACKEND_URL. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: StateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-bootstrap:index:StateBucket", name, {}, opts);
        const bucket = new gcp.storage.Bucket(
            `${name}-bucket`,
            {
                project: args.project,
                name: args.name,
                location: args.location,
                // Access by IAM alone: the review identity's pr-* condition works only on uniform access.
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                // A state write that went wrong (an interrupted or bad update) can be rolled back.
                versioning: { enabled: true },
                // A destroy of the bootstrap stops at a bucket that still holds states.
                forceDestroy: false,
                labels: args.labels ?? {},
            },
            { parent: this },
        );
        this.name = bucket.name;
        this.url = pulumi.interpolate`gs://${bucket.name}`;
        this.registerOutputs({ name: this.name, url: this.url });
    }
}
