// Reads and validates the bootstrap's configuration before index.ts registers anything, so a bad value stops
// the first preview with every problem listed at once. bootstrap/Pulumi.yaml declares the same keys (a unit
// test keeps the two equal); gcp:project is the provider's key, which a project file may not declare.
import * as pulumi from "@pulumi/pulumi";

/** The Pulumi project name: the namespace of the bootstrap's own config keys. */
export const PROJECT = "three-tier-bootstrap";

/** Defaults of the optional keys; "" for the state bucket means `<project>-pulumi-state`. */
export const DEFAULTS = {
    region: "us-central1",
    stateBucket: "",
} as const;

/** Appended to the project id when stateBucket is empty. */
export const STATE_BUCKET_SUFFIX = "-pulumi-state";

/** The bootstrap's own keys (namespaced by PROJECT), required ones first. */
export const CONFIG_KEYS = ["githubRepository", "githubRepositoryId", "region", "stateBucket"] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Raw string values as Pulumi hands them over, keyed by the short key; gcp:project under its full name. */
export type RawBootstrapConfig = Readonly<Partial<Record<ConfigKey | "gcp:project", string>>>;

export interface GithubRepository {
    /** owner/name. */
    readonly name: string;
    /** GitHub's numeric id of the repository: unlike the name, never given to another repository. */
    readonly id: number;
}

export interface BootstrapConfig {
    /** The GCP project id. */
    readonly project: string;
    /** Region of the state bucket and the KMS key ring (gke's cluster must be in it for databaseEncryption). */
    readonly region: string;
    /** Name of the state bucket. */
    readonly stateBucket: string;
    readonly github: GithubRepository;
}

export class BootstrapConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid bootstrap configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "BootstrapConfigError";
    }
}

const GCP_PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
// The repository goes into CEL attribute conditions between single quotes: the pattern, GitHub's own rules
// for owners and names, also keeps quotes and backslashes out of them.
const GITHUB_REPOSITORY_PATTERN =
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const POSITIVE_INTEGER_PATTERN = /^[1-9][0-9]*$/;
const GCP_REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]+$/;
// Without dots: a dotted bucket name needs a verified domain.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

const ALLOWED = {
    "gcp:project": "a Google Cloud project id such as my-gcp-project",
    githubRepository: "the GitHub repository as owner/name, such as my-org/three-tier-app",
    githubRepositoryId: "the repository's numeric id, a whole number (gh api repos/<owner>/<name> --jq .id)",
    region: "a GCP region such as us-central1",
    stateBucket: `empty (<project>${STATE_BUCKET_SUFFIX}) or a bucket name of 3-63 lowercase letters, digits, '-' and '_'`,
} as const satisfies Record<ConfigKey | "gcp:project", string>;

/** The full config key as `pulumi config set` takes it. */
function fullKey(key: ConfigKey | "gcp:project"): string {
    return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/** Validates raw values and applies defaults. Throws one BootstrapConfigError listing every problem. */
export function parseBootstrapConfig(raw: RawBootstrapConfig): BootstrapConfig {
    const problems: string[] = [];
    const check = (key: ConfigKey | "gcp:project", value: string, valid: boolean) => {
        if (!valid) problems.push(`${fullKey(key)} must be ${ALLOWED[key]} (got "${value}")`);
    };
    const required = (key: ConfigKey | "gcp:project", pattern: RegExp): string => {
        const value = raw[key] ?? "";
        if (value === "") problems.push(`${fullKey(key)} is required: ${ALLOWED[key]}`);
        else check(key, value, pattern.test(value));
        return value;
    };

    const project = required("gcp:project", GCP_PROJECT_PATTERN);
    const repository = required("githubRepository", GITHUB_REPOSITORY_PATTERN);
    const repositoryId = required("githubRepositoryId", POSITIVE_INTEGER_PATTERN);
    if (POSITIVE_INTEGER_PATTERN.test(repositoryId)) {
        check("githubRepositoryId", repositoryId, Number.isSafeInteger(Number(repositoryId)));
    }
    const region = raw.region ?? DEFAULTS.region;
    check("region", region, GCP_REGION_PATTERN.test(region));
    const namedBucket = raw.stateBucket ?? DEFAULTS.stateBucket;
    check("stateBucket", namedBucket, namedBucket === "" || BUCKET_PATTERN.test(namedBucket));

    if (problems.length > 0) throw new BootstrapConfigError(problems);
    return {
        project,
        region,
        stateBucket: namedBucket === "" ? `${project}${STATE_BUCKET_SUFFIX}` : namedBucket,
        github: { name: repository, id: Number(repositoryId) },
    };
}

/** Reads the bootstrap's keys (and gcp:project) from the stack and validates them. */
export function loadBootstrapConfig(): BootstrapConfig {
    const config = new pulumi.Config(PROJECT);
    const raw: Record<string, string | undefined> = {};
    for (const key of CONFIG_KEYS) raw[key] = config.get(key);
    raw["gcp:project"] = new pulumi.Config("gcp").get("project");
    return parseBootstrapConfig(raw);
}
