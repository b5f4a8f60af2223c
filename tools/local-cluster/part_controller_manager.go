package main

import "time"

var controllerManager = &process{
	spec:  k8sSpec("kube-controller-manager", spec{modes: both, wave: 3, expected: 70 * time.Second}),
	netns: true, args: controllerManagerArgs, check: healthzReady(kcmPort),
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
