// testreport reads `go test -json` on stdin, prints the tests' output as `go test -v` would, and appends
// the counts to $TEST_COUNTS_FILE as one JSON line, {"passed":N,"failed":N,"pending":N}, the same line the
// mocha suites' reporter writes (tests/helpers/counting-reporter.ts), so scripts/test.sh reads numbers,
// not text. It exits 1 when a test or a package failed.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// event is the part of test2json's TestEvent this reads.
type event struct {
	Action string
	Test   string
	Output string
}

// counts is one suite run's tally, as scripts/test.sh sums it.
type counts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
}

// tally copies each event's output to out and counts test results (subtests included, as `--- PASS` lines
// are). failedPackage reports a package that failed outside any test (a build error, a panic in init).
func tally(in io.Reader, out io.Writer) (c counts, failedPackage bool, err error) {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	for scanner.Scan() {
		var e event
		if json.Unmarshal(scanner.Bytes(), &e) != nil {
			fmt.Fprintln(out, scanner.Text()) // not an event: go's own message, such as a build failure
			continue
		}
		fmt.Fprint(out, e.Output)
		switch {
		case e.Test == "" && e.Action == "fail":
			failedPackage = true
		case e.Test == "":
		case e.Action == "pass":
			c.Passed++
		case e.Action == "fail":
			c.Failed++
		case e.Action == "skip":
			c.Pending++
		}
	}
	return c, failedPackage, scanner.Err()
}

func main() {
	c, failedPackage, err := tally(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	if file := os.Getenv("TEST_COUNTS_FILE"); file != "" {
		line, _ := json.Marshal(c)
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.Write(append(line, '\n'))
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(1)
		}
	}
	if c.Failed > 0 || failedPackage {
		os.Exit(1)
	}
}
