package main

import (
	"reflect"
	"slices"
	"testing"
)

func names(ps []*part) []string {
	var ns []string
	for _, p := range ps {
		ns = append(ns, p.name)
	}
	return ns
}

func TestStartOrder(t *testing.T) {
	for _, tc := range []struct {
		m    mode
		want []string
	}{
		{modeReal, []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
			"registry", "containerd", "kubelet", "kube-proxy", "coredns", "pv-dirs", "netpol"}},
		{modeKwok, []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "registry"}},
	} {
		if got := names(processes(tc.m)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("processes(%s) = %v, want %v", tc.m, got, tc.want)
		}
	}
}

// Clients stop before what they talk to: the node's parts before containerd (whose pods `down`
// removes first), containerd before the registry it pulls from, the control plane's clients before
// the apiserver, etcd last.
func TestStopWaves(t *testing.T) {
	for _, tc := range []struct {
		m    mode
		want [][]string
	}{
		{modeReal, [][]string{{"kube-proxy", "coredns", "pv-dirs", "netpol"}, {"kubelet"}, {"containerd"}, {"registry"},
			{"kube-controller-manager", "kube-scheduler"}, {"kube-apiserver"}, {"etcd"}}},
		{modeKwok, [][]string{{"kwok", "registry"}, {"kube-controller-manager", "kube-scheduler"}, {"kube-apiserver"}, {"etcd"}}},
	} {
		var got [][]string
		for _, w := range stopWaves(tc.m) {
			got = append(got, names(w))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("stopWaves(%s) = %v, want %v", tc.m, got, tc.want)
		}
	}
}

// The registry runs in both modes (the Pulumi program pushes to it either way), inside the node netns
// in real mode, is ready before anything on the node can pull, and outlives its clients.
func TestRegistryServesBeforeAndAfterItsClients(t *testing.T) {
	reg := partByName("registry")
	if !reg.runsIn(modeReal) || !reg.runsIn(modeKwok) || !reg.netns {
		t.Fatalf("registry: modes %v, netns %v; want both modes, in the netns", reg.modes, reg.netns)
	}
	index := func(ps []*part, name string) int { return slices.Index(names(ps), name) }
	onNode := processes(modeReal)
	for _, client := range []string{"containerd", "kubelet"} {
		if index(onNode, "registry") > index(onNode, client) {
			t.Errorf("registry starts after %s, which pulls from it", client)
		}
		if partByName(client).stop <= reg.stop {
			t.Errorf("registry (stop wave %d) stops no later than %s (%d)", reg.stop, client, partByName(client).stop)
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

func TestEveryProcessIsComplete(t *testing.T) {
	for _, p := range parts {
		if len(p.bins) == 0 || p.module == "" || p.ldflags == nil || p.expected <= 0 {
			t.Errorf("%s: no build (bins, module, ldflags) or no expected build time", p.name)
		}
		if len(p.modes) > 0 && (p.args == nil || p.ready == nil || p.stop == 0) {
			t.Errorf("%s runs but lacks args, a readiness check or a stop wave", p.name)
		}
		if len(p.modes) == 0 && len(p.uses) == 0 {
			t.Errorf("%s is neither run nor used in any mode", p.name)
		}
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
	for _, p := range parts {
		if p.stamp == nil {
			unstamped = append(unstamped, p.name)
		}
	}
	if want := []string{"cni-plugins", "images", "coredns", "pv-dirs", "netpol"}; !reflect.DeepEqual(unstamped, want) {
		t.Errorf("parts without a version stamp check: %v, want %v", unstamped, want)
	}
}
