package shared

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	cliStep      = Step{Name: "pulumi", Version: "v3.259.0", Default: 7 * time.Minute}
	hostStep     = Step{Name: "pulumi-language-nodejs", Version: "v3.259.0", Default: 40 * time.Second}
	providerStep = Step{Name: "pulumi-resource-kubernetes", Version: "v4.25.0", Default: 9 * time.Minute}
)

// timesWith is a record holding records, not backed by a file.
func timesWith(records map[string]buildRecord) *BuildTimes {
	return &BuildTimes{records: records}
}

func TestPlanLines(t *testing.T) {
	recorded := timesWith(map[string]buildRecord{
		"pulumi":                     {Version: "v3.259.0", Seconds: 412},
		"pulumi-resource-kubernetes": {Version: "v4.24.0", Seconds: 600},
	})
	for _, tc := range []struct {
		name  string
		times *BuildTimes
		steps []Step
		want  []string
	}{
		{"nothing missing", recorded, nil, nil},
		{"some missing, defaults", timesWith(nil), []Step{hostStep}, []string{
			"1 to build, once (later runs use the cache and take seconds):",
			"step 1/1: pulumi-language-nodejs v3.259.0, expected ~40s (typical)",
			"expected in all: ~40s",
		}},
		{"all missing, recorded and default", recorded, []Step{cliStep, hostStep, providerStep}, []string{
			"3 to build, once (later runs use the cache and take seconds):",
			"step 1/3: pulumi v3.259.0, expected ~7m (last build here)",
			"step 2/3: pulumi-language-nodejs v3.259.0, expected ~40s (typical)",
			"step 3/3: pulumi-resource-kubernetes v4.25.0, expected ~10m (last build here, of v4.24.0)",
			"expected in all: ~18m",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlanLines(tc.times, tc.steps); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestApprox(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Second:                "10s",
		44 * time.Second:               "40s",
		89 * time.Second:               "90s",
		90 * time.Second:               "2m",
		7*time.Minute + 20*time.Second: "7m",
		9*time.Minute + 40*time.Second: "10m",
	} {
		if got := Approx(d); got != want {
			t.Errorf("Approx(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	for _, tc := range []struct {
		mode fs.FileMode
		term string
		want bool
	}{
		{fs.ModeDevice | fs.ModeCharDevice, "xterm-256color", true},
		{fs.ModeDevice | fs.ModeCharDevice, "dumb", false},
		{fs.ModeDevice | fs.ModeCharDevice, "", false},
		{fs.ModeNamedPipe, "xterm", false},
		{0, "xterm", false},
	} {
		if got := IsTerminal(tc.mode, tc.term); got != tc.want {
			t.Errorf("IsTerminal(%s, %q) = %v", tc.mode, tc.term, got)
		}
	}
}

// fakeBuilds is Builds on a fake clock: the build function moves the clock and delivers ticks.
type fakeBuilds struct {
	*Builds
	out      *signallingBuffer
	now      time.Time
	ticks    chan time.Time
	interval time.Duration
}

// signallingBuffer tells of each write, so a test waits for the line a tick makes before it moves
// the clock again.
type signallingBuffer struct {
	bytes.Buffer
	wrote chan struct{}
}

func (b *signallingBuffer) Write(p []byte) (int, error) {
	n, err := b.Buffer.Write(p)
	b.wrote <- struct{}{}
	return n, err
}

func newFakeBuilds(terminal bool, recordPath string) *fakeBuilds {
	out := &signallingBuffer{wrote: make(chan struct{}, 100)}
	f := &fakeBuilds{out: out, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ticks: make(chan time.Time)}
	log := NewLoggerTo("toolchain", f.out)
	log.started, log.now = f.now, func() time.Time { return f.now }
	f.Builds = &Builds{
		Log: log, Times: LoadBuildTimes(recordPath), Terminal: terminal,
		Now: func() time.Time { return f.now },
		Ticker: func(interval time.Duration) (<-chan time.Time, func()) {
			f.interval = interval
			return f.ticks, func() {}
		},
	}
	return f
}

// advance moves the clock by d and delivers a tick there; it returns once Build has shown it.
func (f *fakeBuilds) advance(d time.Duration) {
	f.now = f.now.Add(d)
	f.ticks <- f.now
	<-f.out.wrote
}

func TestBuildShowsProgressOnALogEvery30s(t *testing.T) {
	f := newFakeBuilds(false, "")
	err := f.Build(providerStep, func() error {
		f.advance(30 * time.Second)
		f.advance(30 * time.Second)
		f.advance(30 * time.Second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.interval != 30*time.Second {
		t.Errorf("ticks every %s on a log, want 30s", f.interval)
	}
	want := "[toolchain  30.0s] building pulumi-resource-kubernetes v4.25.0: 30s of ~9m\n" +
		"[toolchain  60.0s] building pulumi-resource-kubernetes v4.25.0: 1m0s of ~9m\n" +
		"[toolchain  90.0s] building pulumi-resource-kubernetes v4.25.0: 1m30s of ~9m\n"
	if f.out.String() != want {
		t.Errorf("logged\n%q\nwant\n%q", f.out.String(), want)
	}
}

func TestBuildUpdatesOneLineOnATerminal(t *testing.T) {
	f := newFakeBuilds(true, "")
	err := f.Build(cliStep, func() error {
		f.advance(time.Second)
		f.advance(time.Second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.interval != time.Second {
		t.Errorf("ticks every %s on a terminal, want 1s", f.interval)
	}
	f.Log.Printf("built pulumi")
	want := "\r[toolchain   1.0s] building pulumi v3.259.0: 1s of ~7m\x1b[K" +
		"\r[toolchain   2.0s] building pulumi v3.259.0: 2s of ~7m\x1b[K" +
		"\r\x1b[K" + // erased once the build is over, before the next line
		"[toolchain   2.0s] built pulumi\n"
	if f.out.String() != want {
		t.Errorf("wrote\n%q\nwant\n%q", f.out.String(), want)
	}
}

func TestBuildRecordsOnlyASuccessfulBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "build-times.json")
	f := newFakeBuilds(false, path)
	failed := errors.New("go build failed")
	if err := f.Build(cliStep, func() error { f.now = f.now.Add(time.Minute); return failed }); !errors.Is(err, failed) {
		t.Fatalf("a failed build returned %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a failed build left a record (%v)", err)
	}
	if err := f.Build(cliStep, func() error { f.now = f.now.Add(6*time.Minute + 40*time.Second); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := f.Build(providerStep, func() error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("a failed build returned %v", err)
	}
	again := LoadBuildTimes(path)
	if d, source := again.Expected(cliStep); d != 6*time.Minute+40*time.Second || source != "last build here" {
		t.Errorf("after a build: expected %s (%s)", d, source)
	}
	if d, source := again.Expected(providerStep); d != providerStep.Default || source != "typical" {
		t.Errorf("after a failed build: expected %s (%s), want the default", d, source)
	}
}

func TestCorruptRecordIsIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "build-times.json")
	if err := os.WriteFile(path, []byte(`{"pulumi": {"version": "v3`), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeBuilds(false, path)
	if d, source := f.Times.Expected(cliStep); d != cliStep.Default || source != "typical" {
		t.Errorf("from a corrupt record: expected %s (%s), want the default", d, source)
	}
	if err := f.Build(providerStep, func() error { f.now = f.now.Add(8 * time.Minute); return nil }); err != nil {
		t.Fatal(err)
	}
	if d, _ := LoadBuildTimes(path).Expected(providerStep); d != 8*time.Minute {
		t.Errorf("the record was not rewritten whole: expected %s", d)
	}
}
