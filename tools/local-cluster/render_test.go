package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testConfig(t *testing.T) *config {
	return &config{repo: t.TempDir(), stateDir: "/state", binCache: "/cache", runDir: "/run/three-tier-node", mode: modeReal}
}

// The settings this machine needs (toolchain-facts.md) must be in what the components read.
func TestRenderedConfigsCarryTheMachineFixes(t *testing.T) {
	c := testConfig(t)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"containerd", renderContainerdConfig(c), []string{
			"restrict_oom_score_adj = true", `sandbox = "localhost/three-tier-app/pause:3.10"`,
			`socket_dir = "/run/three-tier-node/s"`,
			`root = "/state/containerd/root"`, "SystemdCgroup = false", `conf_dir = "/state/cni/net.d"`,
			"[plugins.\"io.containerd.cri.v1.images\".registry]\n    config_path = \"/state/containerd/certs.d\"\n"}},
		{"kubelet", renderKubeletConfig(c), []string{
			"cgroupDriver: cgroupfs", "failCgroupV1: false", "oomScoreAdj: 0", "cgroupRoot: /three-tier-node",
			"address: 172.31.255.2", "clusterDNS: [10.96.0.10]", "readOnlyPort: 0", "makeIPTablesUtilChains: false",
			"imageGCHighThresholdPercent: 100", "containerRuntimeEndpoint: unix:///run/three-tier-node/containerd.sock"}},
		{"kube-proxy", renderKubeProxyConfig(c), []string{
			"mode: nftables", "clusterCIDR: 10.244.0.0/16", "nodePortAddresses: [172.31.255.2/32]", "maxPerCore: 0"}},
		{"Corefile", renderCorefile(c), []string{"bind 172.31.255.2", "kubernetes cluster.local in-addr.arpa ip6.arpa",
			"kubeconfig /state/kubeconfig three-tier-local"}},
		{"kube-dns", renderDNSManifest(), []string{"clusterIP: 10.96.0.10", "addresses: [172.31.255.2]",
			"kubernetes.io/service-name: kube-dns"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.body, w) {
				t.Errorf("%s config lacks %q:\n%s", tc.name, w, tc.body)
			}
		}
	}
}

// containerd finds the registry's settings at <config_path>/<host:port>/hosts.toml: plain HTTP to
// the node IP, trusted to pull and resolve.
func TestContainerdPullsFromTheRegistryOverHTTP(t *testing.T) {
	c := testConfig(t)
	c.stateDir = t.TempDir()
	if err := writeFile(c.pki("ca.crt"), "CA", 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeConfigs(c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(c.stateDir, "containerd", "certs.d", "172.31.255.2:5000", "hosts.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `server = "http://172.31.255.2:5000"

[host."http://172.31.255.2:5000"]
  capabilities = ["pull", "resolve"]
`
	if string(b) != want {
		t.Errorf("hosts.toml:\n%s\nwant:\n%s", b, want)
	}
	if !strings.Contains(renderContainerdConfig(c), fmt.Sprintf("config_path = %q", c.registryHostsDir())) {
		t.Errorf("containerd's config_path is not %s", c.registryHostsDir())
	}
}

func TestRegistryConfig(t *testing.T) {
	for m, addr := range map[mode]string{modeReal: "172.31.255.2:5000", modeKwok: "127.0.0.1:5000"} {
		c := testConfig(t)
		c.mode = m
		body := renderRegistryConfig(c)
		for _, w := range []string{"version: 0.1\n", "  filesystem:\n    rootdirectory: /state/registry/data\n",
			"  delete:\n    enabled: true\n", "http:\n  addr: " + addr + "\n"} {
			if !strings.Contains(body, w) {
				t.Errorf("%s mode: registry config lacks %q:\n%s", m, w, body)
			}
		}
		// Plain HTTP, no auth: the address exists only inside the node netns and over our veth (or loopback).
		for _, no := range []string{"tls:", "auth:"} {
			if strings.Contains(body, no) {
				t.Errorf("%s mode: registry config has %q", m, no)
			}
		}
	}
}

func TestCNIConfigHasNoMasquerade(t *testing.T) {
	var conf struct {
		Name    string `json:"name"`
		Plugins []map[string]any
	}
	if err := json.Unmarshal([]byte(renderCNIConfig(testConfig(t))), &conf); err != nil {
		t.Fatal(err)
	}
	bridge := conf.Plugins[0]
	if conf.Name != cniNetwork || bridge["type"] != "bridge" || bridge["ipMasq"] != false || bridge["isGateway"] != true {
		t.Errorf("bridge plugin = %v (network %q)", bridge, conf.Name)
	}
	ipam := bridge["ipam"].(map[string]any)
	if ipam["dataDir"] != "/state/cni/ipam" {
		t.Errorf("host-local dataDir = %v, want the state dir", ipam["dataDir"])
	}
}

func TestKubeconfigUsers(t *testing.T) {
	tok := renderKubeconfig("https://172.31.255.2:16443", []byte("CA"), kubeconfigUser{token: "abc"})
	cert := renderKubeconfig("https://172.31.255.2:16443", []byte("CA"), kubeconfigUser{cert: "/p/k.crt", key: "/p/k.key"})
	for _, w := range []string{"server: https://172.31.255.2:16443", "certificate-authority-data: Q0E=", "    token: abc", "current-context: three-tier-local"} {
		if !strings.Contains(tok, w) {
			t.Errorf("token kubeconfig lacks %q", w)
		}
	}
	if !strings.Contains(cert, "    client-certificate: /p/k.crt\n    client-key: /p/k.key\n") || strings.Contains(cert, "token") {
		t.Errorf("cert kubeconfig:\n%s", cert)
	}
}

func TestRestorePathRemovesOnlyWhatIsNew(t *testing.T) {
	root := filepath.Join(t.TempDir(), "cni")
	mk := func(rel string) {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("results/other-net-1")
	before := snapshot(root)
	mk("results/three-tier-node-2")
	mk("networks/three-tier-node/10.244.0.2")
	if err := restorePath(root, before); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(root).Entries; strings.Join(got, ",") != "results,results/other-net-1" {
		t.Errorf("after restore: %v", got)
	}
	fresh := filepath.Join(t.TempDir(), "containers")
	absent := snapshot(fresh)
	if err := os.MkdirAll(filepath.Join(fresh, "pod_x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := restorePath(fresh, absent); err != nil || fileExists(fresh) {
		t.Errorf("a path made after the snapshot must go: err %v, exists %v", err, fileExists(fresh))
	}
}
