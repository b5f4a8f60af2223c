// Command images builds the local cluster's container images without a container engine or a registry:
// one docker-archive tarball per image, tagged with the reference the stack uses, ready for
// `ctr -n k8s.io images import`. Tarballs are cached by a hash of their inputs and reused.
//
//	images build [--out DIR] [NAME...]   prints "<reference> <tarball>" per image (all images without NAME)
//	images list                          prints each reference
package main

import (
	"context"
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

	"three-tier-app/toolkit"
)

const usage = `usage: images build [--out DIR] [NAME...]   build or reuse each image's tarball; prints "<reference> <tarball>"
       images list                          print each image's reference`

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
			fmt.Fprintln(stdout, img.ref)
		}
		return nil
	case "build":
		return buildCommand(ctx, args[1:], stdout, stderr)
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

	log := toolkit.NewLoggerTo("images", stderr)
	// Concurrently: mmdebstrap mostly waits for downloads.
	paths := make([]string, len(selected))
	errs := make([]error, len(selected))
	var wg sync.WaitGroup
	for i, img := range selected {
		wg.Go(func() {
			start := time.Now()
			path, reused, err := build(ctx, env, img)
			paths[i], errs[i] = path, err
			switch {
			case err != nil:
				log.Printf("%s failed after %s", img.name, toolkit.Since(start))
			case reused:
				log.Printf("%s: cached %s", img.name, path)
			default:
				log.Printf("%s: built in %s, %s", img.name, toolkit.Since(start), sizeOf(path))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, img := range selected {
		fmt.Fprintln(stdout, img.ref, paths[i])
	}
	return nil
}

// cacheDir is ~/.cache/three-tier-app/images (under $XDG_CACHE_HOME when set).
func cacheDir() (string, error) {
	root, err := toolkit.CacheRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "images"), nil
}

func newBuildEnv(cache, out string) (buildEnv, error) {
	repo, err := findRepo()
	if err != nil {
		return buildEnv{}, err
	}
	toolHash, err := toolkit.HashSources(filepath.Join(repo, "tools", "images"))
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
	return buildEnv{repo: repo, out: out, cache: cache, toolHash: toolHash, goVersion: strings.TrimSpace(string(goVersion))}, nil
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
