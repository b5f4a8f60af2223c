// The app's three images as resources of the program: built from this repository's sources by tools/images
// (no container engine: go-containerregistry, a ko-style Go build and Debian rootfs tarballs), pushed to the
// stack's registry and deployed by digest. Preview decides from each image's build key (a hash of every
// input of the build, computed by the same tool), so unchanged sources show no diff and a change under
// app/backend shows the backend image and the backend Deployment updating, nothing else.
import { execFile } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ContainerImage } from "./workload";
import { REPO_ROOT } from "../project";

/** The images this program builds, one per tier: the names of tools/images' table. */
export const BUILT_IMAGES = ["backend", "nginx", "redis"] as const;
export type BuiltImageName = (typeof BUILT_IMAGES)[number];

export interface AppImagesArgs {
    /**
     * Where the images go: a repository prefix `<registry host>[:port]/<path>`; image NAME is pushed to
     * `<prefix>/NAME`. The local cluster's registry (`172.31.255.2:5000/three-tier-app`), minikube's registry
     * addon (`localhost:5000/three-tier-app`), or an Artifact Registry repository
     * (`<region>-docker.pkg.dev/<project>/<repository>`). Required.
     */
    readonly registry: pulumi.Input<string>;
    /** Plain HTTP to the registry (one on loopback or inside the node's network namespace). Default: false (HTTPS). */
    readonly insecure?: pulumi.Input<boolean>;
    /** Which images to build and push. Default: BUILT_IMAGES. */
    readonly names?: readonly BuiltImageName[];
}

/** What tools/images says of an image before it is built: its version tag and its build key. */
export interface ImagePlan {
    readonly name: BuiltImageName;
    readonly tag: string;
    readonly key: string;
}

/** What tools/images printed after a push (one JSON line per image). */
interface PushedImage {
    readonly name: string;
    readonly key: string;
    readonly repository: string;
    readonly tag: string;
    readonly digest: string;
    readonly ref: string;
}

/** Inputs of one image resource: what decides whether it must be built and pushed again. */
interface BuiltImageInputs {
    readonly name: BuiltImageName;
    readonly key: string;
    readonly registry: string;
    readonly insecure: boolean;
}

/**
 * The command line that runs tools/images in repository `repo`: tools/shared/run.sh builds the tool once
 * per change of its sources into the project's cache and runs it.
 */
export function imageToolCommand(repo: string, args: readonly string[]): { file: string; args: string[] } {
    const cacheRoot = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
    return {
        file: path.join(repo, "tools", "shared", "run.sh"),
        args: ["images", path.join(cacheRoot, "three-tier-app", "tools"), ...args],
    };
}

/** Runs tools/images in `repo` and resolves to its stdout; a failure rejects with what it printed on stderr. */
function runImageTool(repo: string, args: readonly string[]): Promise<string> {
    const command = imageToolCommand(repo, args);
    return new Promise((resolve, reject) => {
        execFile(
            command.file,
            command.args,
            { cwd: repo, maxBuffer: 16 << 20, env: { ...process.env, GOTOOLCHAIN: "local" } },
            (error, stdout, stderr) => {
                if (error) {
                    reject(new Error(`tools/images ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
                } else {
                    resolve(stdout);
                }
            },
        );
    });
}

/** Parses what `images key` prints: a line `NAME TAG KEY` per image. */
export function parseImagePlans(keys: string, names: readonly BuiltImageName[]): ImagePlan[] {
    const lines = keys.split("\n").map((l) => l.trim().split(/\s+/));
    return names.map((name) => {
        const [, tag, key] = lines.find(([n]) => n === name) ?? [];
        if (tag === undefined || key === undefined || !/^[a-f0-9]{64}$/.test(key)) {
            throw new Error(`tools/images gave no tag and key for image ${name}: ${keys}`);
        }
        return { name, tag, key };
    });
}

/** Plans already asked of the tool in this process: the sources do not change while a program runs. */
const plansAsked = new Map<string, Promise<ImagePlan[]>>();

/** What `images key` prints, given by presetImageKeys in place of the tool's, by repository. */
const presetKeys = new Map<string, string>();

/**
 * Has planImages read `keys` (what `images key` prints) for `repo` instead of running tools/images. For the
 * unit tests, which run the program under mocks many times and must build nothing: the tool builds itself
 * on its first run after a change to its sources.
 */
export function presetImageKeys(repo: string, keys: string): void {
    presetKeys.set(repo, keys);
}

/** Each image's tag and build key, from tools/images in `repo` (no build: milliseconds once the tool is built). */
export function planImages(repo: string, names: readonly BuiltImageName[]): Promise<ImagePlan[]> {
    const asked = `${repo}\0${names.join(",")}`;
    let plans = plansAsked.get(asked);
    if (plans === undefined) {
        const preset = presetKeys.get(repo);
        const keys = preset === undefined ? runImageTool(repo, ["key", ...names]) : Promise.resolve(preset);
        plans = keys.then((printed) => parseImagePlans(printed, names));
        plansAsked.set(asked, plans);
    }
    return plans;
}

/** The one JSON line `images push` prints for an image, checked. */
export function parsePushedImage(stdout: string, name: string): PushedImage {
    const lines = stdout.split("\n").filter((l) => l.trim().startsWith("{"));
    const pushed = lines.map((l) => JSON.parse(l) as PushedImage).find((p) => p.name === name);
    if (
        pushed === undefined ||
        !/^sha256:[a-f0-9]{64}$/.test(pushed.digest) ||
        pushed.ref !== `${pushed.repository}@${pushed.digest}`
    ) {
        throw new Error(`tools/images push printed no valid line for image ${name}: ${stdout}`);
    }
    return pushed;
}

/** Whether an image resource must be built and pushed again: its sources, build or destination changed. */
export function imageChanged(olds: BuiltImageInputs, news: BuiltImageInputs): boolean {
    return olds.key !== news.key || olds.registry !== news.registry || olds.insecure !== news.insecure;
}

/**
 * Builds (or reuses the cached build of) an image and pushes it; runs in the dynamic provider's process,
 * whose working directory is the program's, this repository.
 */
async function publish(inputs: BuiltImageInputs): Promise<PushedImage & BuiltImageInputs> {
    const args = ["push", "--registry", inputs.registry, ...(inputs.insecure ? ["--insecure"] : []), inputs.name];
    const pushed = parsePushedImage(await runImageTool(process.cwd(), args), inputs.name);
    // The key is what preview compared: an image built from other sources must not be recorded under it.
    if (pushed.key !== inputs.key) {
        throw new Error(
            `image ${inputs.name}: the sources changed while deploying (key ${inputs.key.slice(0, 12)} at preview, ` +
                `${pushed.key.slice(0, 12)} pushed to ${inputs.registry}): run the update again`,
        );
    }
    return { ...pushed, ...inputs };
}

/**
 * The dynamic provider of BuiltImage. No delete: a registry keeps what was pushed (Artifact Registry's
 * cleanup policy prunes old versions; the local cluster's registry goes with the cluster), and a
 * rollback to an earlier state needs its digest still there.
 */
const imageProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: BuiltImageInputs, news: BuiltImageInputs) {
        return { changes: imageChanged(olds, news), deleteBeforeReplace: false };
    },
    async create(inputs: BuiltImageInputs) {
        const outs = await publish(inputs);
        return { id: outs.ref, outs };
    },
    async update(_id: string, _olds: BuiltImageInputs, news: BuiltImageInputs) {
        return { outs: await publish(news) };
    },
};

/** One built image in the stack's registry; `ref` is `repository@sha256:<digest>`. */
class BuiltImage extends pulumi.dynamic.Resource {
    // `declare`: a field initialiser would overwrite the output the base constructor set.
    declare public readonly ref: pulumi.Output<string>;

    constructor(name: string, inputs: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(imageProvider, name, { ...inputs, ref: undefined }, opts);
    }
}

/**
 * The app's images, built from this repository and pushed to one registry. `images.<name>.ref` is what a
 * workload deploys: `<registry>/<name>@sha256:<digest>`.
 */
export class AppImages extends pulumi.ComponentResource {
    public readonly images: Readonly<Partial<Record<BuiltImageName, ContainerImage>>>;

    constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("three-tier-app:index:AppImages", name, {}, opts);
        const names = args.names ?? BUILT_IMAGES;
        const plans = planImages(REPO_ROOT, names);
        const images: Partial<Record<BuiltImageName, ContainerImage>> = {};
        for (const imageName of names) {
            const plan = pulumi.output(plans.then((all) => all.find((p) => p.name === imageName)!));
            const image = new BuiltImage(
                `${name}-${imageName}`,
                { name: imageName, key: plan.key, registry: args.registry, insecure: args.insecure ?? false },
                { parent: this },
            );
            images[imageName] = { ref: image.ref, version: plan.tag };
        }
        this.images = images;
        this.registerOutputs({ images: this.images });
    }
}
