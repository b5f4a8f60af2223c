// The library the project's Go tools share (tools/local-cluster, tools/images, tools/toolchain):
// logging, the cache under ~/.cache/three-tier-app, and version reading. Standard library only.
module three-tier-app/toolkit

go 1.22.0
