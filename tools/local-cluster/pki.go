package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

type cert struct {
	name     string // files <name>.crt and <name>.key
	cn       string
	orgs     []string
	usage    x509.ExtKeyUsage
	ips      []string
	dnsNames []string
}

// certs is everything the cluster's components authenticate with, issued by one CA (and the front
// proxy's own CA). In kwok mode only the first ones are used.
func certs(c *config) []cert {
	return []cert{
		{name: "apiserver", cn: "kube-apiserver", usage: x509.ExtKeyUsageServerAuth,
			ips: []string{c.host(), apiServiceIP},
			dnsNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc." + clusterDomain}},
		// The kubelet authorises the apiserver (logs, exec) through this identity.
		{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"},
			usage: x509.ExtKeyUsageClientAuth},
		// The Node authorizer admits the kubelet by this name and group.
		{name: "kubelet", cn: "system:node:" + nodeName, orgs: []string{"system:nodes"}, usage: x509.ExtKeyUsageClientAuth},
		// Bound by the default RBAC role system:node-proxier.
		{name: "kube-proxy", cn: "system:kube-proxy", usage: x509.ExtKeyUsageClientAuth},
	}
}

// makePKI writes the CAs, the certificates, the service-account key and the admin token.
func makePKI(c *config) error {
	dir := c.path("pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, caKey, err := makeCA(dir, "ca", "three-tier-local-ca")
	if err != nil {
		return err
	}
	for _, ct := range certs(c) {
		if err := issue(dir, ct, ca, caKey); err != nil {
			return err
		}
	}
	fp, fpKey, err := makeCA(dir, "front-proxy-ca", "three-tier-local-front-proxy-ca")
	if err != nil {
		return err
	}
	err = issue(dir, cert{name: "front-proxy-client", cn: "front-proxy-client", usage: x509.ExtKeyUsageClientAuth}, fp, fpKey)
	if err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, "sa.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", pub, 0o644); err != nil {
		return err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	token := hex.EncodeToString(tok)
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte(token), 0o600); err != nil {
		return err
	}
	// Static token: user admin in system:masters (kubectl, pulumi, CoreDNS, the policy enforcer).
	return os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(token+`,admin,admin,"system:masters"`+"\n"), 0o600)
}

func makeCA(dir, name, cn string) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	if err := writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", der, 0o644); err != nil {
		return nil, nil, err
	}
	return ca, key, writeKey(filepath.Join(dir, name+".key"), key)
}

func issue(dir string, ct cert, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: ct.cn, Organization: ct.orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{ct.usage},
		DNSNames:     ct.dnsNames,
	}
	for _, ip := range ct.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", ct.name, err)
	}
	if err := writePEM(filepath.Join(dir, ct.name+".crt"), "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	return writeKey(filepath.Join(dir, ct.name+".key"), key)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, perm os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), perm)
}
