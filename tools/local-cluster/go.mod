// The local cluster program (scripts/local-cluster.sh runs it): one table of components that
// `up`, `down` and `status` walk. Standard library only, so it builds in seconds offline. The
// directories beside it are the build modules of the binaries it runs.
module three-tier-app/local-cluster

go 1.24.0

require three-tier-app/shared v0.0.0

replace three-tier-app/shared => ../shared
