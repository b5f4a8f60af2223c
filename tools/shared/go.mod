// The library the project's Go tools share (tools/local-cluster, tools/images, tools/toolchain):
// logging, the cache under ~/.cache/three-tier-app, version reading and build progress; run.sh beside
// it builds and runs each tool. Standard library only.
module three-tier-app/shared

go 1.22.0
