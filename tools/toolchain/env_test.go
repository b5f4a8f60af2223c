package main

import (
	"strings"
	"testing"
)

func TestRenderEnv(t *testing.T) {
	lookup := func(env map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	const (
		tools = "export PATH=/c/bin:/usr/bin:/bin\n" +
			"export PULUMI_HOME=/c/pulumi-home\n" +
			"export PULUMI_SKIP_UPDATE_CHECK=true\n"
		head = tools +
			"export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n" +
			"export PULUMI_BACKEND_URL=file:///repo/.pulumi-state\n"
		noPassphrase = "export PULUMI_CONFIG_PASSPHRASE=''\n"
	)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no passphrase", map[string]string{"PATH": "/usr/bin:/c/bin:/bin"}, head + noPassphrase},
		{"the user's passphrase", map[string]string{"PATH": "/usr/bin:/bin", "PULUMI_CONFIG_PASSPHRASE": "a b'c$x"},
			head + `export PULUMI_CONFIG_PASSPHRASE=a\ b\'c\$x` + "\n"},
		{"the user's passphrase file", map[string]string{"PATH": "/usr/bin:/bin", "PULUMI_CONFIG_PASSPHRASE_FILE": "/x"}, head},
		{"both: the passphrase wins", map[string]string{"PATH": "/usr/bin:/bin", "PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_CONFIG_PASSPHRASE_FILE": "/x"},
			head + noPassphrase},
		{"the caller's backend and plugin acquisition (gke)", map[string]string{
			"PATH": "/usr/bin:/bin", "PULUMI_BACKEND_URL": "gs://acme-state", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "false"},
			tools + "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=false\n" +
				"export PULUMI_BACKEND_URL=gs://acme-state\n" + noPassphrase},
		{"empty values are no choice", map[string]string{
			"PATH": "/usr/bin:/bin", "PULUMI_BACKEND_URL": "", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": ""},
			head + noPassphrase},
	} {
		if got := renderEnv("/c/bin", "/c/pulumi-home", "/repo/.pulumi-state", lookup(tc.env)); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// Expectations from bash's printf %q.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "''",
		"/usr/local/bin:/x-y.z_1":    "/usr/local/bin:/x-y.z_1",
		"a b":                        `a\ b`,
		`!"$&'()*,;<>?[\]^` + "`{|}": `\!\"\$\&\'\(\)\*\,\;\<\>\?\[\\\]\^\` + "`" + `\{\|\}`,
		"%+=@":                       "%+=@",
		"#a#":                        `\#a#`,
		"~/a~b:~c=~":                 `\~/a~b:\~c=\~`,
		"é":                          "é",
		"a\nb'":                      `$'a\nb\''`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestVersionsReport(t *testing.T) {
	r := report{
		pulumiVersion: "3.259.0", kubernetesVersion: "4.25.0", npmPulumi: "3.248.0", npmKubernetes: "4.25.0",
		cli: cli{"/usr/local/bin", "ambient"}, cliVersion: "v3.260.0", languageHost: "/usr/local/bin/pulumi-language-nodejs",
		pulumiHome: "/c/pulumi-home", backend: "file:///repo/.pulumi-state", node: "v20.20.2", goVersion: "go1.26.8",
	}
	want := "pins:        pulumi 3.259.0, kubernetes 4.25.0 (" + kubernetesModule + "@" + kubernetesModuleVersion + ")\n" +
		"npm:         @pulumi/pulumi 3.248.0, @pulumi/kubernetes 4.25.0\n" +
		"pulumi:      v3.260.0 (ambient: /usr/local/bin/pulumi)\n" +
		"language:    /usr/local/bin/pulumi-language-nodejs \n" +
		"kubernetes:  not installed in /c/pulumi-home (run scripts/toolchain.sh ensure)\n" +
		"PULUMI_HOME: /c/pulumi-home\n" +
		"backend:     file:///repo/.pulumi-state\n" +
		"node:        v20.20.2  go: go1.26.8\n"
	if got := r.render(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	r.cli.source, r.plugin = "missing", "/c/pulumi-home/plugins/resource-kubernetes-v4.25.0/pulumi-resource-kubernetes"
	got := r.render()
	for _, line := range []string{
		"pulumi:      not built (run scripts/toolchain.sh ensure)\n",
		"kubernetes:  4.25.0 (/c/pulumi-home/plugins/resource-kubernetes-v4.25.0/pulumi-resource-kubernetes)\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("missing %q in\n%s", line, got)
		}
	}
	if strings.Contains(got, "language:") {
		t.Errorf("a missing CLI has a language line:\n%s", got)
	}
}
