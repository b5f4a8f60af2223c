// The project's name and where its repository is: one home for both, for the program, its tools and tests.

/** The Pulumi project's name (Pulumi.yaml): its config keys' namespace and the `part-of` of all it makes. */
export const PROJECT = "three-tier-app";

/** The repository's root: the program's directory, where tools/ and the images' sources are. */
export const REPO_ROOT = __dirname;
