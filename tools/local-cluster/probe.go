package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// The readiness checks' means: an HTTP GET, and a body that says so.

// httpGet returns the body of a GET, an error unless 200. TLS is verified against ca when given,
// not verified otherwise (the self-signed serving certs of the controller-manager and scheduler).
func httpGet(ctx context.Context, url, ca, token string) (string, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: ca == ""}, Proxy: nil}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return "", err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return string(body), nil
}

func expectBody(ctx context.Context, url, ca, token, want string) error {
	body, err := httpGet(ctx, url, ca, token)
	if err != nil {
		return err
	}
	if !strings.Contains(body, want) {
		return fmt.Errorf("%s answered %q", url, tail(body, 3))
	}
	return nil
}
