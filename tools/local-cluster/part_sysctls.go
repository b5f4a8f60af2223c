package main

import (
	"context"
	"errors"
	"os"
	"strings"
)

// sysctls: the global sysctls the kubelet sets at start (kernel.panic=10, panic_on_oops=1,
// overcommit_memory=1), recorded as they were before `up` and put back by `down`.
var sysctls = &sysctlsPart{spec{name: "sysctls", modes: []mode{modeReal}}}

type sysctlsPart struct{ spec }

var globalSysctls = []string{"kernel/panic", "kernel/panic_on_oops", "vm/overcommit_memory"}

func (*sysctlsPart) start(_ context.Context, cl *cluster) error {
	cl.st.Sysctls = map[string]string{}
	for _, k := range globalSysctls {
		b, err := os.ReadFile("/proc/sys/" + k)
		if err != nil {
			return err
		}
		cl.st.Sysctls[k] = strings.TrimSpace(string(b))
	}
	return cl.st.save(cl.config)
}

func (*sysctlsPart) health(context.Context, *cluster) error { return nil }

func (*sysctlsPart) stop(_ context.Context, cl *cluster) error {
	var errs []error
	for k, v := range cl.st.Sysctls {
		errs = append(errs, os.WriteFile("/proc/sys/"+k, []byte(v), 0o644))
	}
	return errors.Join(errs...)
}

func (*sysctlsPart) leftovers(*cluster) leftovers { return leftovers{} }
