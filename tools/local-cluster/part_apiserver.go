package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

var apiserver = &process{
	spec: k8sSpec("kube-apiserver", spec{
		modes: both, wave: 2, objects: func(*config) string { return storageClassManifest },
		expected: 4 * time.Minute,
	}),
	netns: true, args: apiserverArgs, check: apiserverReady, serving: applyObjects,
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

func adminToken(c *config) string {
	b, _ := os.ReadFile(c.pki("admin.token"))
	return strings.TrimSpace(string(b))
}

func apiserverReady(ctx context.Context, c *config) error {
	return expectBody(ctx, c.apiserverURL()+"/readyz", c.pki("ca.crt"), adminToken(c), "ok")
}

// applyObjects applies, once the API serves, the objects of the cluster's parts: the default
// StorageClass, and the DNS Service (real node) or the fake nodes (kwok).
func applyObjects(ctx context.Context, cl *cluster) error {
	var manifest string
	for _, p := range cl.parts {
		if objects := p.row().objects; objects != nil {
			manifest += objects(cl.config)
		}
	}
	// readyz can answer before the system namespaces exist: retry a little.
	var err error
	for range 20 {
		if _, err = kubectl(ctx, cl.config, manifest, "apply", "-f", "-"); err == nil {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return err
}

// The default StorageClass: the controller-manager's hostPath provisioner.
const storageClassManifest = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
`
