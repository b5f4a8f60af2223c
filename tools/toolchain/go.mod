// The toolchain builder (scripts/toolchain.sh runs it): one table of the Pulumi CLI, its Node.js
// language host and the Kubernetes provider, built from the build modules beside it (pulumi/,
// language-nodejs/, kubernetes/, each its own module) and cached by version. Standard library and
// tools/shared only, so it builds in seconds offline.
module three-tier-app/toolchain

go 1.23.0

require three-tier-app/shared v0.0.0

replace three-tier-app/shared => ../shared
