package main

import (
	"strings"
	"testing"
)

func TestTallyCountsTestsAndSubtestsNotPackages(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA"}`,
		`{"Action":"pass","Package":"p","Test":"TestB/sub"}`,
		`{"Action":"fail","Package":"p","Test":"TestB"}`,
		`{"Action":"skip","Package":"p","Test":"TestC"}`,
		`{"Action":"fail","Package":"p"}`,
		`# p [build failed]`,
	}, "\n")
	var out strings.Builder
	c, failedPackage, err := tally(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	if c != (counts{Passed: 2, Failed: 1, Pending: 1}) || !failedPackage {
		t.Fatalf("got %+v, failed package %v", c, failedPackage)
	}
	if want := "--- PASS: TestA (0.00s)\n# p [build failed]\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}

func TestTallyOfAPassingRunHasNoFailedPackage(t *testing.T) {
	c, failedPackage, _ := tally(strings.NewReader(`{"Action":"pass","Package":"p","Test":"TestA"}`+"\n"+`{"Action":"pass","Package":"p"}`), &strings.Builder{})
	if c.Passed != 1 || failedPackage {
		t.Fatalf("got %+v, failed package %v", c, failedPackage)
	}
}
