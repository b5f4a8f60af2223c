package main

import (
	"context"
	"slices"
	"time"
)

// part is one row of the cluster: something `up` makes (recording first, in the state, what `down`
// must undo), `status` and `up` check, and `down` undoes. The table (table.go) composes them.
type part interface {
	row() *spec
	// start makes the part and returns once it serves.
	start(ctx context.Context, cl *cluster) error
	// health is nil while the part runs and serves.
	health(ctx context.Context, cl *cluster) error
	// stop undoes what cl.st records of the part.
	stop(ctx context.Context, cl *cluster) error
	// leftovers is what may outlive the part's own processes; `down` sweeps it once every process
	// has stopped.
	leftovers(cl *cluster) leftovers
}

// spec is a row's data: what is built (and how), in which modes it is made, what it reads and what
// it puts in the API.
type spec struct {
	name    string
	module  string   // build module, relative to tools/
	modPath string   // module whose required version names the build; "" = a hash of our sources
	bins    []binary // built into <cache>/<name>-<version>/
	ldflags func(c *config, version string) string
	// stamp makes bins[0] print its version, which must name the one it is cached under; nil: it
	// prints none (our own code, the CNI plugins, CoreDNS).
	stamp []string
	// extra writes what the build adds beside the binaries (extraFiles) into its directory.
	extra      func(ctx context.Context, c *config, p *spec, dir string) error
	extraFiles []string
	modes      []mode // modes that make it
	uses       []mode // modes that need it built without making it (clients, plugins, images)
	// wave orders `down` for processes: higher stops first (clients before servers). 0: a host part,
	// undone after every process has stopped and its leftovers are swept, in reverse of `up`.
	wave int
	// files are the config files it reads: path → body, written before anything starts.
	files func(c *config) map[string]string
	// objects are API objects the apiserver applies once it serves (YAML documents).
	objects func(c *config) string
	// expected is how long a cold build takes on two cores (README's measured cold run), until this
	// machine records its own. The first Kubernetes binary (kube-apiserver) compiles most of
	// Kubernetes; the others reuse that work.
	expected time.Duration
}

type binary struct{ name, pkg string }

func (s *spec) row() *spec { return s }

func (s *spec) runsIn(m mode) bool { return slices.Contains(s.modes, m) }

func (s *spec) neededIn(m mode) bool { return s.runsIn(m) || slices.Contains(s.uses, m) }

// leftovers: processes to kill and the roots under which every mount goes.
type leftovers struct {
	pids   []int
	mounts []string
}

// cluster is what a part starts into and stops from: the config, the record of what `up` made, and
// the mode's parts in `up` order.
type cluster struct {
	*config
	st    *state
	parts []part
}

// tool is a part that is only built: a client, plugins, an image tarball.
type tool struct{ spec }

func (*tool) start(context.Context, *cluster) error  { return nil }
func (*tool) health(context.Context, *cluster) error { return nil }
func (*tool) stop(context.Context, *cluster) error   { return nil }
func (*tool) leftovers(*cluster) leftovers           { return leftovers{} }
