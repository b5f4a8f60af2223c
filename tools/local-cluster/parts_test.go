package main

import (
	"reflect"
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
			"containerd", "kubelet", "kube-proxy", "coredns", "pv-dirs", "netpol"}},
		{modeKwok, []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}},
	} {
		if got := names(processes(tc.m)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("processes(%s) = %v, want %v", tc.m, got, tc.want)
		}
	}
}

// Clients stop before what they talk to: the node's parts before containerd (whose pods `down`
// removes first), the control plane's clients before the apiserver, etcd last.
func TestStopWaves(t *testing.T) {
	for _, tc := range []struct {
		m    mode
		want [][]string
	}{
		{modeReal, [][]string{{"kube-proxy", "coredns", "pv-dirs", "netpol"}, {"kubelet"}, {"containerd"},
			{"kube-controller-manager", "kube-scheduler"}, {"kube-apiserver"}, {"etcd"}}},
		{modeKwok, [][]string{{"kwok"}, {"kube-controller-manager", "kube-scheduler"}, {"kube-apiserver"}, {"etcd"}}},
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

func TestEveryProcessIsComplete(t *testing.T) {
	for _, p := range parts {
		if len(p.bins) == 0 || p.module == "" || p.ldflags == nil {
			t.Errorf("%s: no build (bins, module, ldflags)", p.name)
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
