// Command images builds the stacks' container images from source without a container engine, and pushes
// them. Each build is one docker-archive tarball (tagged localhost/three-tier-app/<name>:<tag>, ready for
// `ctr -n k8s.io images import`) and an SPDX SBOM beside it, cached by the image's key, a hash of every
// input of the build, and reused. The key never depends on where the image goes: the same sources give
// the same key and the same digest in every registry.
//
//	images build [--out DIR] [NAME...]                  prints "<reference> <tarball>" per image (all without NAME)
//	images list                                         prints each reference
//	images key [NAME...]                                prints "<name> <tag> <key>" per image, building nothing
//	images push --registry PREFIX [--insecure] NAME...  builds (or reuses) and pushes each image to PREFIX/<name>:<tag>
//	                                                    with its SBOM as an OCI referrer; prints a JSON line per image:
//	                                                    {"name","key","repository","tag","digest","ref","sbom"}
//
// Every image's config carries the OCI labels org.opencontainers.image.source ($IMAGES_SOURCE, else
// three-tier-app), .version (the tag, or the Debian version of the package the tag names) and, when
// $IMAGES_REVISION is set, .revision; they are part of the key. Progress goes to stderr.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"three-tier-app/shared"
)

const usage = `usage: images build [--out DIR] [NAME...]                  build or reuse each image's tarball; prints "<reference> <tarball>"
       images list                                         print each image's reference
       images key [NAME...]                                print "<name> <tag> <key>": the hash of each image's build inputs
       images push --registry PREFIX [--insecure] NAME...  build or reuse, then push to PREFIX/<name>:<tag>; prints a JSON line per image`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "list":
		if len(args) > 1 {
			return errors.New(usage)
		}
		for _, img := range images {
			fmt.Fprintln(stdout, img.ref())
		}
		return nil
	case "build":
		return buildCommand(ctx, args[1:], stdout, stderr)
	case "key":
		return keyCommand(args[1:], stdout)
	case "push":
		return pushCommand(ctx, args[1:], stdout, stderr)
	default:
		return errors.New(usage)
	}
}

func buildCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cache, err := cacheDir()
	if err != nil {
		return err
	}
	flags := flag.NewFlagSet("build", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("out", cache, "directory of the image tarballs")
	if err := flags.Parse(args); err != nil {
		return err
	}
	selected, err := selectImages(flags.Args())
	if err != nil {
		return err
	}
	env, err := newBuildEnv(cache, *out)
	if err != nil {
		return err
	}
	outs, err := buildAll(ctx, env, selected, shared.NewLoggerTo("images", stderr))
	if err != nil {
		return err
	}
	for i, img := range selected {
		fmt.Fprintln(stdout, img.ref(), outs[i].tarball)
	}
	return nil
}

// concurrently runs do for each of n items at once; it returns their results in order and every error.
func concurrently[T any](n int, do func(i int) (T, error)) ([]T, error) {
	results := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = do(i) })
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// buildAll builds the images concurrently: mmdebstrap mostly waits for downloads.
func buildAll(ctx context.Context, env buildEnv, selected []image, log *shared.Logger) ([]output, error) {
	return concurrently(len(selected), func(i int) (output, error) {
		img, start := selected[i], time.Now()
		out, reused, err := build(ctx, env, img)
		switch {
		case err != nil:
			log.Printf("%s failed after %s", img.name, shared.Since(start))
		case reused:
			log.Printf("%s: cached %s", img.name, out.tarball)
		default:
			log.Printf("%s: built in %s, %s", img.name, shared.Since(start), sizeOf(out.tarball))
		}
		return out, err
	})
}

// keyCommand prints each image's tag and key: what `images push` would build and tag, without building it.
func keyCommand(args []string, stdout io.Writer) error {
	selected, err := selectImages(args)
	if err != nil {
		return err
	}
	env, err := cacheEnv()
	if err != nil {
		return err
	}
	for _, img := range selected {
		k, err := key(env, img)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, img.name, img.tag, k)
	}
	return nil
}

// pushCommand builds the named images (or reuses their tarballs), pushes them and, when all are there,
// prints a JSON line for each.
func pushCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("push", flag.ContinueOnError)
	flags.SetOutput(stderr)
	prefix := flags.String("registry", "", "repository prefix: each image goes to PREFIX/<name>")
	insecure := flags.Bool("insecure", false, "talk plain HTTP to the registry")
	if err := flags.Parse(args); err != nil {
		return err
	}
	// Names are required: pushing the whole table (pause too) is never what a stack wants.
	if *prefix == "" || flags.NArg() == 0 {
		return errors.New(usage)
	}
	selected, err := selectImages(flags.Args())
	if err != nil {
		return err
	}
	env, err := cacheEnv()
	if err != nil {
		return err
	}
	log := shared.NewLoggerTo("images", stderr)
	outs, err := buildAll(ctx, env, selected, log)
	if err != nil {
		return err
	}
	results, err := pushAll(ctx, target{prefix: *prefix, insecure: *insecure}, selected, outs, log)
	if err != nil {
		return err
	}
	for _, r := range results {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	return nil
}

// cacheDir is ~/.cache/three-tier-app/images (under $XDG_CACHE_HOME when set).
func cacheDir() (string, error) {
	root, err := shared.CacheRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "images"), nil
}

// cacheEnv is the build environment of key and push: their tarballs stay in the cache.
func cacheEnv() (buildEnv, error) {
	cache, err := cacheDir()
	if err != nil {
		return buildEnv{}, err
	}
	return newBuildEnv(cache, cache)
}

func newBuildEnv(cache, out string) (buildEnv, error) {
	repo, err := findRepo()
	if err != nil {
		return buildEnv{}, err
	}
	toolHash, err := shared.HashSources(filepath.Join(repo, "tools", "images"))
	if err != nil {
		return buildEnv{}, err
	}
	goEnv := exec.Command("go", "env", "GOVERSION")
	goEnv.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	goVersion, err := goEnv.Output()
	if err != nil {
		return buildEnv{}, fmt.Errorf("go env GOVERSION: %w", err)
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return buildEnv{}, err
	}
	return buildEnv{repo: repo, out: out, cache: cache, toolHash: toolHash, goVersion: strings.TrimSpace(string(goVersion)), labels: labels()}, nil
}

// labels are the OCI labels of every image from $IMAGES_SOURCE and $IMAGES_REVISION. The revision is
// never read from git: a key must follow from the sources alone, whatever is committed.
func labels() map[string]string {
	l := map[string]string{labelSource: cmp.Or(os.Getenv("IMAGES_SOURCE"), "three-tier-app")}
	if revision := os.Getenv("IMAGES_REVISION"); revision != "" {
		l[labelRevision] = revision
	}
	return l
}

// findRepo walks up from the working directory to the repository that holds this tool.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "images", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run inside the three-tier-app repository (no tools/images/go.mod above the working directory)")
		}
		dir = parent
	}
}

func sizeOf(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return "size unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(info.Size())/(1<<20))
}
