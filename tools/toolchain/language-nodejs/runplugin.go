package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// RunPlugin starts a plugin written in Node.js. The engine uses it for policy packs (kind "analyzer"):
// `node <pack>/node_modules/@pulumi/pulumi/cmd/run-policy-pack <engine-address> .` in the pack's
// directory, as the upstream host does. Output is streamed back, then the exit code.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	var script string
	switch req.GetKind() {
	case "analyzer":
		script = "@pulumi/pulumi/cmd/run-policy-pack"
	case "resource", "":
		script = "@pulumi/pulumi/cmd/run-plugin"
	default:
		return fmt.Errorf("plugins of kind %q are not supported", req.GetKind())
	}
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	resolve := exec.Command(h.nodeBin, "-e", "console.log(require.resolve(process.argv[1]))", script)
	resolve.Dir = dir
	out, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("%s cannot be resolved from %s (have you run npm install there?)", script, dir)
	}
	program := info.GetEntryPoint()
	if program == "" {
		program = "."
	}
	args := append(strings.Fields(h.options(info).nodeargs), strings.TrimSpace(string(out)))
	args = append(args, req.GetArgs()...)
	args = append(args, program)

	cmd := exec.Command(h.nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = req.GetEnv()
	var mu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(r)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	pump := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer wg.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_ = send(wrap(append([]byte(nil), buf[:n]...)))
			}
			if err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go pump(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	wg.Wait()
	code := 0
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = exitErr.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}
