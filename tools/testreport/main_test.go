package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const stream = `{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"pass","Package":"m/a","Test":"TestOK","Elapsed":0.1}
{"Action":"run","Package":"m/a","Test":"TestPG"}
{"Action":"output","Package":"m/a","Test":"TestPG","Output":"    pg_test.go:9: skipping: postgres is not available\n"}
{"Action":"skip","Package":"m/a","Test":"TestPG"}
{"Action":"pass","Package":"m/a","Elapsed":0.2}
`

func TestMustRunCatchesASkip(t *testing.T) {
	dir := t.TempDir()
	must := filepath.Join(dir, "must-run.txt")
	os.WriteFile(must, []byte("# comment\na TestOK\na TestPG  # needs PostgreSQL\n"), 0o600)
	var out strings.Builder
	code := run(strings.NewReader(stream), &out, must, "m")
	if code != 1 || !strings.Contains(out.String(), "MUST-RUN test did not pass: a TestPG (skip)") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "tests: 1 passed, 0 failed, 1 skipped") || !strings.Contains(out.String(), "skipping: postgres") {
		t.Fatalf("summary:\n%s", out.String())
	}
	os.WriteFile(must, []byte("a TestOK\n"), 0o600)
	out.Reset()
	if code := run(strings.NewReader(stream), &out, must, "m"); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

func TestFailuresAndBuildErrors(t *testing.T) {
	s := stream + `{"Action":"output","Package":"m/b","Test":"TestBad","Output":"    b_test.go:3: boom\n"}
{"Action":"fail","Package":"m/b","Test":"TestBad"}
{"Action":"fail","Package":"m/b"}
# m/c
c.go:1: syntax error
`
	var out strings.Builder
	if code := run(strings.NewReader(s), &out, "", "m"); code != 1 {
		t.Fatalf("a failure exited %d", code)
	}
	for _, want := range []string{"boom", "c.go:1: syntax error", "1 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(strings.NewReader(""), &out, "", "m"); code != 1 {
		t.Fatal("a run with no test passed")
	}
}

// A test run twice (make test runs the browser tests again without the race
// detector) keeps the failure of either run.
func TestFailureSticksAcrossRuns(t *testing.T) {
	s := `{"Action":"fail","Package":"m/h","Test":"TestBrowser"}
{"Action":"fail","Package":"m/h"}
{"Action":"pass","Package":"m/h","Test":"TestBrowser"}
{"Action":"pass","Package":"m/h"}
`
	var out strings.Builder
	if code := run(strings.NewReader(s), &out, "", "m"); code != 1 || !strings.Contains(out.String(), "1 failed") || !strings.Contains(out.String(), "FAIL") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}
