package main

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func byName(t *testing.T, name string) part {
	t.Helper()
	for _, p := range parts {
		if p.row().name == name {
			return p
		}
	}
	t.Fatalf("no part %s", name)
	return nil
}

func names[P part](ps []P) []string {
	var ns []string
	for _, p := range ps {
		ns = append(ns, p.row().name)
	}
	return ns
}

func TestStartOrder(t *testing.T) {
	for _, tc := range []struct {
		m    mode
		want []string
	}{
		{modeReal, []string{"paths", "sysctls", "cgroups", "netns", "etcd", "kube-apiserver", "kube-controller-manager",
			"kube-scheduler", "registry", "containerd", "kubelet", "kube-proxy", "coredns", "pv-dirs", "netpol"}},
		{modeKwok, []string{"paths", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "registry"}},
	} {
		if got := names(partsIn(tc.m)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("partsIn(%s) = %v, want %v", tc.m, got, tc.want)
		}
	}
}

// Clients stop before what they talk to: the node's parts before containerd (whose pods `down`
// removes first), containerd before the registry it pulls from, the control plane's clients before
// the apiserver, etcd last. Then the host parts, in reverse of `up`.
func TestStopOrder(t *testing.T) {
	for _, tc := range []struct {
		m     mode
		waves [][]string
		host  []string
	}{
		{modeReal, [][]string{{"kube-proxy", "coredns", "pv-dirs", "netpol"}, {"kubelet"}, {"containerd"}, {"registry"},
			{"kube-controller-manager", "kube-scheduler"}, {"kube-apiserver"}, {"etcd"}},
			[]string{"netns", "cgroups", "sysctls", "paths"}},
		{modeKwok, [][]string{{"kwok", "registry"}, {"kube-controller-manager", "kube-scheduler"}, {"kube-apiserver"}, {"etcd"}},
			[]string{"paths"}},
	} {
		var got [][]string
		for _, w := range stopWaves(partsIn(tc.m)) {
			got = append(got, names(w))
		}
		if !reflect.DeepEqual(got, tc.waves) {
			t.Errorf("stopWaves(%s) = %v, want %v", tc.m, got, tc.waves)
		}
		if got := names(hostPartsReversed(partsIn(tc.m))); !reflect.DeepEqual(got, tc.host) {
			t.Errorf("host parts undone in %s mode: %v, want %v", tc.m, got, tc.host)
		}
	}
}

// `down` undoes every part `up` starts, once each; and, but for the parts of one wave (which stop
// at once), a part stops after every part started later.
func TestStopUndoesStartInReverse(t *testing.T) {
	for _, m := range both {
		ps := partsIn(m)
		var stops [][]string
		for _, w := range stopWaves(ps) {
			stops = append(stops, names(w))
		}
		for _, p := range hostPartsReversed(ps) {
			stops = append(stops, []string{p.row().name})
		}
		if got := slices.Sorted(slices.Values(slices.Concat(stops...))); !reflect.DeepEqual(got, slices.Sorted(slices.Values(names(ps)))) {
			t.Errorf("%s mode: down stops %v, up starts %v", m, got, names(ps))
		}
		starts := names(ps)
		for i, later := range stops {
			for _, earlier := range stops[i+1:] {
				for _, a := range later {
					for _, b := range earlier {
						if slices.Index(starts, a) < slices.Index(starts, b) {
							t.Errorf("%s mode: %s stops before %s but started before it", m, a, b)
						}
					}
				}
			}
		}
	}
}

// The registry runs in both modes (the Pulumi program pushes to it either way), inside the node netns
// in real mode, is ready before anything on the node can pull, and outlives its clients.
func TestRegistryServesBeforeAndAfterItsClients(t *testing.T) {
	if !registry.runsIn(modeReal) || !registry.runsIn(modeKwok) || !registry.netns {
		t.Fatalf("registry: modes %v, netns %v; want both modes, in the netns", registry.modes, registry.netns)
	}
	onNode := names(partsIn(modeReal))
	for _, client := range []*process{containerd, kubelet} {
		if slices.Index(onNode, "registry") > slices.Index(onNode, client.name) {
			t.Errorf("registry starts after %s, which pulls from it", client.name)
		}
		if client.wave <= registry.wave {
			t.Errorf("registry (stop wave %d) stops no later than %s (%d)", registry.wave, client.name, client.wave)
		}
	}
}

func TestRegistryAddressFollowsTheMode(t *testing.T) {
	for m, want := range map[mode]string{modeReal: "172.31.255.2:5000", modeKwok: "127.0.0.1:5000"} {
		c := &config{mode: m}
		if got := c.registryAddr(); got != want {
			t.Errorf("registryAddr in %s mode = %s, want %s", m, got, want)
		}
	}
}

func TestEveryPartIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range parts {
		s := p.row()
		if seen[s.name] {
			t.Errorf("two parts named %s", s.name)
		}
		seen[s.name] = true
		if len(s.modes) == 0 && len(s.uses) == 0 {
			t.Errorf("%s is neither made nor used in any mode", s.name)
		}
		proc, isProc := p.(*process)
		if len(s.bins) == 0 {
			if isProc || s.wave != 0 {
				t.Errorf("%s builds nothing but runs or has a stop wave", s.name)
			}
			continue
		}
		if s.module == "" || s.ldflags == nil || s.expected <= 0 {
			t.Errorf("%s: no build (module, ldflags) or no expected build time", s.name)
		}
		if isProc != (len(s.modes) > 0) {
			t.Errorf("%s: a built part runs (a process) exactly when it has modes", s.name)
		}
		if isProc && (proc.args == nil || s.wave == 0) {
			t.Errorf("%s runs but lacks args or a stop wave", s.name)
		}
	}
}

// Every process is checked while it runs; only pv-dirs, which serves nothing, is ready by running.
func TestEveryProcessHasAHealthCheck(t *testing.T) {
	var unchecked []string
	for _, p := range processes(parts) {
		if p.check == nil {
			unchecked = append(unchecked, p.name)
		}
	}
	if want := []string{"pv-dirs"}; !reflect.DeepEqual(unchecked, want) {
		t.Errorf("processes ready by running alone: %v, want %v", unchecked, want)
	}
	c := &config{stateDir: t.TempDir()}
	if err := pvDirs.health(context.Background(), &cluster{config: c}); err == nil {
		t.Error("pv-dirs is healthy without running")
	}
}

// What `down` sweeps once the processes have stopped: the shims and runtime dir of containerd, the
// netns's mount, what runs in the cgroups, the paths that are new (with the state dir, always).
func TestLeftovers(t *testing.T) {
	// A runtime dir of its own: a node running on this machine has shims on the real one's socket.
	run := filepath.Join(t.TempDir(), "run")
	c := &config{stateDir: "/state", runDir: run, mode: modeReal}
	st := &state{Paths: map[string]*pathSnapshot{"/var/lib/cni": {Existed: true}, run: {}},
		Cgroups: []string{t.TempDir()}}
	cl := &cluster{config: c, st: st, parts: partsIn(modeReal)}
	mounts := map[string][]string{}
	for _, p := range cl.parts {
		if l := p.leftovers(cl); len(l.mounts) > 0 {
			mounts[p.row().name] = l.mounts
		}
		if l := p.leftovers(cl); len(l.pids) > 0 {
			t.Errorf("%s lists leftover pids %v with nothing of this cluster running", p.row().name, l.pids)
		}
	}
	want := map[string][]string{
		"paths":      {run},
		"netns":      {"/run/netns/three-tier-node"},
		"containerd": {run},
	}
	if !reflect.DeepEqual(mounts, want) {
		t.Errorf("leftover mount roots %v, want %v", mounts, want)
	}
}

// The apiserver applies the objects of the mode's parts, its own StorageClass first.
func TestObjects(t *testing.T) {
	c := &config{repo: t.TempDir(), binCache: t.TempDir(), mode: modeReal}
	var got string
	for _, p := range partsIn(modeReal) {
		if o := p.row().objects; o != nil {
			got += o(c)
		}
	}
	if want := storageClassManifest + "---\n" + renderDNSManifest(); got != want {
		t.Errorf("real mode objects:\n%s\nwant:\n%s", got, want)
	}
	var withKwok []string
	for _, p := range partsIn(modeKwok) {
		if p.row().objects != nil {
			withKwok = append(withKwok, p.row().name)
		}
	}
	if want := []string{"kube-apiserver", "kwok"}; !reflect.DeepEqual(withKwok, want) {
		t.Errorf("kwok mode: objects from %v, want %v", withKwok, want)
	}
}

func TestParseResources(t *testing.T) {
	body := "apiVersion: kustomize.config.k8s.io/v1beta1\nresources:\n- node-initialize.yaml\n- pod-ready.yaml\nlabels:\n- pairs: {}\n"
	if got, want := parseResources(body), []string{"node-initialize.yaml", "pod-ready.yaml"}; !reflect.DeepEqual(got, want) {
		t.Errorf("parseResources = %v, want %v", got, want)
	}
}

// Every upstream build reports the version it is cached under, but for those with no version flag.
func TestStampedBuilds(t *testing.T) {
	var unstamped []string
	for _, s := range specs(parts) {
		if s.stamp == nil {
			unstamped = append(unstamped, s.name)
		}
	}
	if want := []string{"cni-plugins", "images", "coredns", "pv-dirs", "netpol"}; !reflect.DeepEqual(unstamped, want) {
		t.Errorf("parts without a version stamp check: %v, want %v", unstamped, want)
	}
}
