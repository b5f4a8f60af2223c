// tools/images: builds the local cluster's container images (no container engine, no registry).
module three-tier-app/tools/images

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)

require three-tier-app/toolkit v0.0.0

replace three-tier-app/toolkit => ../toolkit
