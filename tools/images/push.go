package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/google"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"three-tier-app/shared"
)

// pushed is the line `images push` prints for an image: what a Deployment runs (ref) and what it was
// built from (key).
type pushed struct {
	Name       string `json:"name"`
	Key        string `json:"key"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
	Ref        string `json:"ref"`
	SBOM       string `json:"sbom"`
}

// target is where `images push` sends images: each to the repository <prefix>/<name>.
type target struct {
	prefix   string
	insecure bool // plain HTTP
}

// keychain finds credentials as docker does (~/.docker/config.json and its helpers) and, for Artifact
// Registry and gcr.io only, from Google's application-default credentials or gcloud: a GKE deploy
// identity pushes with no key file.
var keychain = authn.NewMultiKeychain(authn.DefaultKeychain, google.Keychain)

// pushAll pushes the built images concurrently, logging each.
func pushAll(ctx context.Context, to target, selected []image, outs []output, log *shared.Logger) ([]pushed, error) {
	return concurrently(len(selected), func(i int) (pushed, error) {
		img, start := selected[i], time.Now()
		p, err := push(ctx, to, img, outs[i])
		if err == nil {
			log.Printf("%s: pushed %s in %s", img.name, p.Ref, shared.Since(start))
		}
		return p, err
	})
}

// push sends a built image and its SBOM to the registry. An error names the image and the repository.
func push(ctx context.Context, to target, img image, out output) (pushed, error) {
	p, err := pushTo(ctx, to, img, out)
	if err != nil {
		return pushed{}, fmt.Errorf("push %s to %s/%s: %w", img.name, to.prefix, img.name, err)
	}
	return p, nil
}

func pushTo(ctx context.Context, to target, img image, out output) (pushed, error) {
	var opts []name.Option
	if to.insecure {
		opts = append(opts, name.Insecure)
	}
	repository := to.prefix + "/" + img.name
	repo, err := name.NewRepository(repository, opts...)
	if err != nil {
		return pushed{}, err
	}
	v1img, err := tarball.ImageFromPath(out.tarball, nil)
	if err != nil {
		return pushed{}, err
	}
	desc, err := partial.Descriptor(v1img)
	if err != nil {
		return pushed{}, err
	}
	doc, err := os.ReadFile(out.sbom)
	if err != nil {
		return pushed{}, err
	}
	// The subject is the image's plain descriptor: partial's names the config's media type as artifactType.
	sbom, err := sbomArtifact(doc, v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest})
	if err != nil {
		return pushed{}, err
	}
	sbomDigest, err := sbom.Digest()
	if err != nil {
		return pushed{}, err
	}
	// One pusher for both: one ping and one token. Each skips what the registry has: the manifest behind
	// the tag, the blobs; pushing again is a HEAD per manifest.
	pusher, err := remote.NewPusher(remote.WithAuthFromKeychain(keychain), remote.WithUserAgent("three-tier-app-images"))
	if err != nil {
		return pushed{}, err
	}
	if err := pusher.Push(ctx, repo.Tag(img.tag), v1img); err != nil {
		return pushed{}, err
	}
	if err := pusher.Push(ctx, repo.Digest(sbomDigest.String()), sbom); err != nil {
		return pushed{}, fmt.Errorf("SBOM: %w", err)
	}
	// The repository as given, not as go-containerregistry spells it (docker.io becomes index.docker.io).
	return pushed{
		Name: img.name, Key: out.key, Repository: repository, Tag: img.tag,
		Digest: desc.Digest.String(), Ref: repository + "@" + desc.Digest.String(), SBOM: repository + "@" + sbomDigest.String(),
	}, nil
}

// An OCI 1.1 artifact's empty config.
const (
	emptyConfigType = "application/vnd.oci.empty.v1+json"
	spdxType        = "application/spdx+json"
)

// sbomArtifact is an OCI artifact of the SPDX document whose subject is the image: a registry with the
// referrers API lists it under the image's digest; for one without, go-containerregistry keeps the
// referrers tag sha256-<hex> (an index of the image's referrers) up to date instead.
func sbomArtifact(doc []byte, subject v1.Descriptor) (v1.Image, error) {
	layer := static.NewLayer(doc, spdxType)
	layerDigest, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	config := []byte("{}")
	configDigest, configSize, err := v1.SHA256(bytes.NewReader(config))
	if err != nil {
		return nil, err
	}
	manifest, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  spdxType,
		Config:        v1.Descriptor{MediaType: emptyConfigType, Digest: configDigest, Size: configSize},
		Layers:        []v1.Descriptor{{MediaType: spdxType, Digest: layerDigest, Size: int64(len(doc))}},
		Subject:       &subject,
	})
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(artifact{manifest: manifest, config: config, layer: layer})
}

// artifact is the little of partial.CompressedImageCore a manifest with one blob needs; mutate cannot
// set a manifest's artifactType nor write the empty config "{}".
type artifact struct {
	manifest, config []byte
	layer            v1.Layer
}

func (a artifact) RawConfigFile() ([]byte, error)      { return a.config, nil }
func (a artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, err := a.layer.Digest(); err != nil || d != h {
		return nil, fmt.Errorf("the SBOM artifact has no blob %s", h)
	}
	return a.layer, nil
}
