// Builds pulumi-resource-kubernetes from the Go module proxy (see scripts/toolchain.sh).
// The provider module has no provider/v4.x.y tags: it is required at the pseudo-version of the
// release tag's commit. Its cmd/pulumi-resource-kubernetes main embeds generated files that are not
// in the module zip; ./gen writes them (and a main package) into a temporary build directory.
// tools/toolchain checks that the provider version here equals kubernetesModuleVersion in its parts.go,
// and builds with -mod=mod, so a missing go.sum is filled from the proxy (and checked against sumdb).
module three-tier-app/toolchain/kubernetes

go 1.26

require (
	github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.25.0
)
