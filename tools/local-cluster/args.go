package main

import (
	"fmt"
	"path/filepath"
)

func hostPort(c *config, port int) string { return fmt.Sprintf("%s:%d", c.host(), port) }

func etcdArgs(c *config) []string {
	client := "http://" + hostPort(c, etcdPort)
	peer := "http://" + hostPort(c, etcdPeerPort)
	return []string{
		"--name=local", "--data-dir=" + c.path("etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=local=" + peer, "--initial-cluster-state=new",
		"--auto-compaction-mode=periodic", "--auto-compaction-retention=5m",
		"--quota-backend-bytes=2147483648", "--unsafe-no-fsync=true", "--log-level=warn",
	}
}

func apiserverArgs(c *config) []string {
	args := []string{
		"--bind-address=" + c.host(), "--advertise-address=" + c.host(),
		fmt.Sprintf("--secure-port=%d", apiserverPort),
		"--etcd-servers=http://" + hostPort(c, etcdPort),
		"--cert-dir=" + c.path("cert-dir", "kube-apiserver"),
		"--tls-cert-file=" + c.pki("apiserver.crt"), "--tls-private-key-file=" + c.pki("apiserver.key"),
		"--client-ca-file=" + c.pki("ca.crt"),
		"--requestheader-client-ca-file=" + c.pki("front-proxy-ca.crt"),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + c.pki("front-proxy-client.crt"),
		"--proxy-client-key-file=" + c.pki("front-proxy-client.key"),
		"--token-auth-file=" + c.pki("tokens.csv"),
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc." + clusterDomain,
		"--service-account-key-file=" + c.pki("sa.pub"),
		"--service-account-signing-key-file=" + c.pki("sa.key"),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--allow-privileged=true", "--profiling=false",
	}
	if c.mode != modeReal {
		// No node to reach: the `kubernetes` Service keeps no endpoints.
		return append(args, "--endpoint-reconciler-type=none")
	}
	return append(args,
		"--kubelet-client-certificate="+c.pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key="+c.pki("apiserver-kubelet-client.key"),
		// Nothing resolves names inside the netns: reach the kubelet by its InternalIP.
		"--kubelet-preferred-address-types=InternalIP",
	)
}

func controlPlaneClientArgs(c *config, name string, port int) []string {
	return []string{
		"--kubeconfig=" + c.kubeconfig(),
		"--authentication-kubeconfig=" + c.kubeconfig(), "--authorization-kubeconfig=" + c.kubeconfig(),
		"--bind-address=" + c.host(), fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + c.path("cert-dir", name),
		"--leader-elect=false", "--profiling=false",
	}
}

func controllerManagerArgs(c *config) []string {
	args := append(controlPlaneClientArgs(c, "kube-controller-manager", kcmPort),
		"--flex-volume-plugin-dir="+c.path("flexvolume"),
		"--controllers=*", "--use-service-account-credentials=false",
		"--service-account-private-key-file="+c.pki("sa.key"),
		"--root-ca-file="+c.pki("ca.crt"),
		"--cluster-signing-cert-file="+c.pki("ca.crt"), "--cluster-signing-key-file="+c.pki("ca.key"),
		"--service-cluster-ip-range="+serviceCIDR,
		"--enable-hostpath-provisioner=true",
	)
	if c.mode == modeReal {
		args = append(args, "--allocate-node-cidrs=true", "--cluster-cidr="+podCIDR, "--node-cidr-mask-size=24")
	}
	return args
}

func schedulerArgs(c *config) []string {
	return controlPlaneClientArgs(c, "kube-scheduler", schedulerPort)
}

func kwokArgs(c *config) []string {
	return []string{
		"--kubeconfig=" + c.kubeconfig(),
		"--config=" + filepath.Join(c.partDir(partByName("kwok")), kwokStagesFile),
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=" + podCIDR, "--node-ip=" + loopback,
		fmt.Sprintf("--node-port=%d", kwokPort), "--server-address=" + hostPort(c, kwokPort),
		"--node-lease-duration-seconds=40",
	}
}

func containerdArgs(c *config) []string {
	return []string{"--config=" + c.path("containerd", "config.toml"), "--address=" + c.containerdSock()}
}

func kubeletArgs(c *config) []string {
	return []string{
		"--config=" + c.path("kubelet", "config.yaml"),
		"--kubeconfig=" + c.path("kubelet", "kubeconfig"),
		"--root-dir=" + c.path("kubelet", "root"),
		"--cert-dir=" + c.path("kubelet", "pki"),
		"--node-ip=" + nodeIP, "--hostname-override=" + nodeName,
		"--v=1",
	}
}

func kubeProxyArgs(c *config) []string {
	return []string{"--config=" + c.path("kube-proxy", "config.yaml"), "--v=1"}
}

func registryArgs(c *config) []string {
	return []string{"serve", c.path("registry", "config.yml")}
}

func corednsArgs(c *config) []string {
	return []string{"-conf", c.path("coredns", "Corefile")}
}

func netpolArgs(c *config) []string {
	return []string{"--kubeconfig", c.kubeconfig(), "--node-name", nodeName, "--table", netpolTable}
}

func pvDirsArgs(c *config) []string {
	return []string{"--repo", c.repo, "pv-dirs", hostpathPVDir}
}
