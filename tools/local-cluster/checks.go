package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// nodeCheck is one thing the real node needs from this machine. Checks that need a network
// namespace run in a throwaway one (unshare --net), so they leave nothing behind.
type nodeCheck struct {
	name string
	run  func(ctx context.Context) error
}

// cgroupControllers are the v1 hierarchies the kubelet (cgroupfs driver) and runc write to.
var cgroupControllers = []string{"cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer", "blkio"}

var nodeChecks = []nodeCheck{
	{"running as root", func(context.Context) error {
		if os.Geteuid() != 0 {
			return errors.New("the node needs root (namespaces, mounts, cgroups)")
		}
		return nil
	}},
	{"cgroup v1 controllers writable", func(context.Context) error {
		for _, ctl := range cgroupControllers {
			dir := filepath.Join("/sys/fs/cgroup", ctl, fmt.Sprintf("three-tier-check-%d", os.Getpid()))
			if err := os.Mkdir(dir, 0o755); err != nil {
				return fmt.Errorf("cgroup %s: %w", ctl, err)
			}
			if err := os.Remove(dir); err != nil {
				return fmt.Errorf("cgroup %s: %w", ctl, err)
			}
		}
		return nil
	}},
	{"overlayfs", func(context.Context) error {
		b, err := os.ReadFile("/proc/filesystems")
		if err != nil || !strings.Contains(string(b), "\toverlay\n") {
			return errors.New("overlay is not in /proc/filesystems")
		}
		return nil
	}},
	{"tools present (nsenter, unshare, ip, runc, nft, mmdebstrap)", func(ctx context.Context) error {
		// mmdebstrap: tools/images makes the nginx and redis images' Debian rootfs with it.
		for _, t := range []struct{ bin, pkg string }{
			{"nsenter", ""}, {"unshare", ""}, {"ip", ""}, {"runc", "runc"}, {"nft", "nftables"}, {"mmdebstrap", "mmdebstrap"},
		} {
			if err := lookOrInstall(ctx, t.bin, t.pkg); err != nil {
				return err
			}
		}
		return nil
	}},
	{"netns and veth creatable", func(ctx context.Context) error {
		return quiet(ctx, "unshare", "--net", "ip", "link", "add", "tt-check0", "type", "veth", "peer", "name", "tt-check1")
	}},
	{"nftables usable", func(ctx context.Context) error {
		return quiet(ctx, "unshare", "--net", "nft", "add", "table", "inet", "three_tier_check")
	}},
	{"no foreign node left", func(context.Context) error {
		if fileExists(filepath.Join("/run/netns", netnsName)) || fileExists(filepath.Join("/sys/class/net", hostLink)) {
			return fmt.Errorf("netns %s or link %s exists but this cluster's state does not record it", netnsName, hostLink)
		}
		return nil
	}},
}

// lookOrInstall finds a tool, installing its Debian package when it is missing and has one.
func lookOrInstall(ctx context.Context, bin, pkg string) error {
	if _, err := exec.LookPath(bin); err == nil {
		return nil
	}
	if pkg == "" {
		return fmt.Errorf("%s not found", bin)
	}
	logf("%s not found: apt-get install %s", bin, pkg)
	// A fresh machine may have no package lists yet: without them apt-get install finds nothing.
	if out, err := exec.CommandContext(ctx, "apt-get", "update", "-qq").CombinedOutput(); err != nil {
		return fmt.Errorf("%s not found and apt-get update failed: %v: %s", bin, err, tail(string(out), 5))
	}
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", pkg)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s not found and apt-get install %s failed: %v: %s", bin, pkg, err, tail(string(out), 5))
	}
	_, err := exec.LookPath(bin)
	return err
}

func quiet(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// chooseMode runs the node checks unless LOCAL_CLUSTER_NODE forces kwok. It returns the mode and,
// for kwok, why. LOCAL_CLUSTER_NODE=real turns a failed check into an error: never a silent downgrade.
func chooseMode(ctx context.Context) (mode, string, error) {
	force := os.Getenv("LOCAL_CLUSTER_NODE")
	switch force {
	case "kwok":
		return modeKwok, "LOCAL_CLUSTER_NODE=kwok", nil
	case "", "real":
	default:
		return "", "", fmt.Errorf("LOCAL_CLUSTER_NODE=%q: want real or kwok", force)
	}
	for _, ch := range nodeChecks {
		if err := ch.run(ctx); err != nil {
			reason := fmt.Sprintf("node check %q failed: %v", ch.name, err)
			if force == "real" {
				return "", "", fmt.Errorf("LOCAL_CLUSTER_NODE=real but %s", reason)
			}
			logf("%s; running the kwok (fake node) mode instead", reason)
			return modeKwok, reason, nil
		}
		logf("node check ok: %s", ch.name)
	}
	return modeReal, "", nil
}
