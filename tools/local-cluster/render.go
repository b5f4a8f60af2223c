package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// The files the components read are rendered by their parts from the config: pure functions of it
// (tests compare them). Shared here: the kubeconfig, and writing a file.

type kubeconfigUser struct {
	token     string // bearer token, or
	cert, key string // client certificate files
}

func renderKubeconfig(server string, caPEM []byte, u kubeconfigUser) string {
	user := "    token: " + u.token
	if u.token == "" {
		user = "    client-certificate: " + u.cert + "\n    client-key: " + u.key
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s-user
  user:
%[4]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s-user
    namespace: default
current-context: %[1]s
`, kubeContext, server, base64.StdEncoding.EncodeToString(caPEM), user)
}

func writeFile(path, body string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), perm)
}
