package shared

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A cold first run builds for many minutes; these say up front what will be built and for how long, and
// then show that the build is alive, so a silent terminal is not mistaken for a hang.

// Step is one part a run is about to build, and how long a cold build of it takes on two cores when
// this machine has no record of its own.
type Step struct {
	Name, Version string
	Default       time.Duration
}

// BuildTimes is how long each part's last successful build took on this machine, kept in the cache
// (build-times.json) so the next cold build of it (a new version, a cleared cache) is estimated from
// this machine rather than a guess.
type BuildTimes struct {
	path    string
	records map[string]buildRecord
}

// buildRecord is the last build of a part: one per name, so the file stays small as versions change.
type buildRecord struct {
	Version string  `json:"version"`
	Seconds float64 `json:"seconds"`
}

// BuildTimesFile is the record under the cache root.
func BuildTimesFile(cacheRoot string) string { return filepath.Join(cacheRoot, "build-times.json") }

// LoadBuildTimes reads the record at path. A missing or unreadable one is empty: the estimates are only
// advice, so a corrupt file must not stop a build.
func LoadBuildTimes(path string) *BuildTimes {
	return &BuildTimes{path: path, records: readRecords(path)}
}

func readRecords(path string) map[string]buildRecord {
	records := map[string]buildRecord{}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &records) != nil {
		return map[string]buildRecord{}
	}
	return records
}

// Expected is how long building s should take, and where that figure comes from.
func (t *BuildTimes) Expected(s Step) (time.Duration, string) {
	r, ok := t.records[s.Name]
	switch {
	case !ok || r.Seconds <= 0:
		return s.Default, "typical"
	case r.Version == s.Version:
		return seconds(r.Seconds), "last build here"
	default:
		return seconds(r.Seconds), "last build here, of " + r.Version
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Record stores a successful build's time. The file is read again first, so records another process
// wrote since LoadBuildTimes are kept, and replaced by a rename, so a reader never sees half of it.
// Without a path (no cache root) nothing is kept.
func (t *BuildTimes) Record(s Step, took time.Duration) error {
	if t.path == "" {
		return nil
	}
	records := readRecords(t.path)
	records[s.Name] = buildRecord{Version: s.Version, Seconds: took.Round(100 * time.Millisecond).Seconds()}
	t.records = records
	b, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		return err
	}
	return InstallFile(t.path, func(tmp string) error { return os.WriteFile(tmp, append(b, '\n'), 0o644) })
}

// PlanLines announces steps: numbered, each with its expected time, then the total. Nothing when
// nothing is to be built, so a warm run stays quiet.
func PlanLines(times *BuildTimes, steps []Step) []string {
	if len(steps) == 0 {
		return nil
	}
	lines := []string{fmt.Sprintf("%d to build, once (later runs use the cache and take seconds):", len(steps))}
	var total time.Duration
	for i, s := range steps {
		d, source := times.Expected(s)
		total += d
		lines = append(lines, fmt.Sprintf("step %d/%d: %s %s, expected ~%s (%s)", i+1, len(steps), s.Name, s.Version, Approx(d), source))
	}
	return append(lines, fmt.Sprintf("expected in all: ~%s", Approx(total)))
}

// Approx is an estimate as a person reads one: whole minutes from a minute and a half up, else tens
// of seconds.
func Approx(d time.Duration) string {
	if d >= 90*time.Second {
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("%ds", max(10, int(d.Round(10*time.Second)/time.Second)))
}

// ProgressLine is what a build shows while it runs: "building pulumi 3.1.0: 2m30s of ~7m".
func ProgressLine(s Step, elapsed, expected time.Duration) string {
	return fmt.Sprintf("building %s %s: %s of ~%s", s.Name, s.Version, elapsed.Round(time.Second), Approx(expected))
}

// How often progress is shown: a terminal's line is rewritten every second; a log (CI, a pipe) gets a
// line every 30 s, often enough to show the build is alive and rare enough not to bury the rest.
const (
	terminalInterval = time.Second
	logInterval      = 30 * time.Second
)

// IsTerminal decides whether a file with mode, under $TERM term, shows a line rewritten in place.
func IsTerminal(mode fs.FileMode, term string) bool {
	return mode&fs.ModeCharDevice != 0 && term != "" && term != "dumb"
}

func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && IsTerminal(fi.Mode(), os.Getenv("TERM"))
}

// Builds announces and times the builds of one run.
type Builds struct {
	Log      *Logger
	Times    *BuildTimes
	Terminal bool
	Now      func() time.Time
	// Ticker delivers the times at which progress is shown, every interval, until stop.
	Ticker func(interval time.Duration) (ticks <-chan time.Time, stop func())
}

// NewBuilds logs to log, with the record in the cache and progress in place when stderr is a terminal.
func NewBuilds(log *Logger) *Builds {
	path := ""
	if root, err := CacheRoot(); err == nil {
		path = BuildTimesFile(root)
	}
	return &Builds{Log: log, Times: LoadBuildTimes(path), Terminal: stderrIsTerminal(), Now: time.Now, Ticker: realTicker}
}

func realTicker(interval time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(interval)
	return t.C, t.Stop
}

// Plan logs PlanLines.
func (b *Builds) Plan(steps []Step) {
	for _, l := range PlanLines(b.Times, steps) {
		b.Log.Printf("%s", l)
	}
}

// Build runs build, showing its progress meanwhile, and records its time when it succeeds. A record
// that cannot be written is reported and otherwise ignored: the build itself is done.
func (b *Builds) Build(s Step, build func() error) error {
	expected, _ := b.Times.Expected(s)
	start := b.Now()
	interval := logInterval
	if b.Terminal {
		interval = terminalInterval
	}
	ticks, stopTicker := b.Ticker(interval)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case now := <-ticks:
				line := ProgressLine(s, now.Sub(start), expected)
				if b.Terminal {
					b.Log.Statusf("%s", line)
				} else {
					b.Log.Printf("%s", line)
				}
			}
		}
	}()
	err := build()
	stopTicker()
	close(done)
	<-finished
	b.Log.ClearStatus()
	if err != nil {
		return err
	}
	if rerr := b.Times.Record(s, b.Now().Sub(start)); rerr != nil {
		b.Log.Printf("could not record the build time of %s: %v", s.Name, rerr)
	}
	return nil
}
