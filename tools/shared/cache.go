package shared

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// CacheRoot is ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app: where everything built or downloaded for
// this project is kept, never in the repository.
func CacheRoot() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home := os.Getenv("HOME")
		if home == "" {
			return "", errors.New("neither XDG_CACHE_HOME nor HOME is set: no cache directory")
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "three-tier-app"), nil
}

// Entry is the cache entry of name at version under dir: <dir>/<name>-<version>.
func Entry(dir, name, version string) string { return filepath.Join(dir, name+"-"+version) }

// Executable says whether path is a file with an execute bit: how the tools tell that a built binary is
// in place.
func Executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Install makes the directory dest atomically: build fills a new temporary directory beside dest (the
// same file system), which then replaces dest by a rename, so an entry that exists is whole. The
// temporary directory is removed when build fails; callers run build's commands under a context that
// an interrupt cancels, so an interrupt is a failure too.
func Install(dest string, build func(tmp string) error) error {
	tmp, err := tempDirBeside(dest)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dest); err != nil {
		return err
	}
	return os.Rename(tmp, dest)
}

// InstallFile is Install for one file: write fills tmp (named like dest, in a temporary directory beside
// it), which then replaces dest by a rename.
func InstallFile(dest string, write func(tmp string) error) error {
	dir, err := tempDirBeside(dest)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, filepath.Base(dest))
	if err := write(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, dest)
}

func tempDirBeside(dest string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(filepath.Dir(dest), ".build-"+filepath.Base(dest)+"-")
}

// lockPoll is how often Lock retries a held lock; polling (not a blocking flock) lets ctx end the wait.
const lockPoll = 200 * time.Millisecond

// Lock takes an exclusive flock on path (created when missing). While another process holds it, Lock
// logs once that it waits for holder, and keeps trying until ctx ends. release unlocks.
func Lock(ctx context.Context, path string, log *Logger, holder string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for waiting := false; ; waiting = true {
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			return func() { f.Close() }, nil
		}
		if !waiting {
			log.Printf("waiting for %s to finish…", holder)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("%s holds %s (%w)", holder, path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}
