// Command testreport reads `go test -json` on standard input and prints a
// readable report: one line per package, the full output of every failed
// test, every skipped test with its reason (nothing is skipped silently),
// and a closing line "tests: N passed, N failed, N skipped".
//
// With -must-run FILE it fails unless each listed test passed; lines of the
// file are "<package path relative to the module> <TestName>", and # starts
// a comment. This keeps CI from going green when a real PostgreSQL, btcd or
// Chromium test silently skipped.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	mustRun := flag.String("must-run", "", "file listing tests that must pass")
	module := flag.String("module", "github.com/trawlhq/trawl", "module path, to resolve -must-run entries")
	flag.Parse()
	os.Exit(run(os.Stdin, os.Stdout, *mustRun, *module))
}

type key struct{ pkg, test string }

func run(in io.Reader, out io.Writer, mustRunFile, module string) int {
	outputs := map[key][]string{}
	state := map[key]string{}
	var order []key
	pkgs := map[string]string{}
	var pkgOrder []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintln(out, string(line)) // build errors and other plain output
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output", "build-output":
			outputs[k] = append(outputs[k], e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				if _, seen := pkgs[e.Package]; !seen {
					pkgOrder = append(pkgOrder, e.Package)
				}
				if state[k] == "fail" {
					continue // a package run twice (make test runs some tests again) keeps its failure
				}
				pkgs[e.Package] = fmt.Sprintf("%-4s %s %.1fs", strings.ToUpper(e.Action), e.Package, e.Elapsed)
				if e.Action == "skip" {
					pkgs[e.Package] = "---- " + e.Package + " (no tests)"
				}
				if e.Action == "fail" {
					state[k] = "fail"
					order = append(order, k)
				}
				continue
			}
			if _, seen := state[k]; !seen {
				order = append(order, k)
			}
			if state[k] != "fail" { // a test run twice keeps its failure
				state[k] = e.Action
			}
		case "build-fail":
			state[key{e.Package, ""}] = "fail"
			order = append(order, key{e.Package, ""})
		}
	}
	for _, p := range pkgOrder {
		fmt.Fprintln(out, pkgs[p])
	}
	var passed, failed, skipped int
	var skips []string
	for _, k := range order {
		switch state[k] {
		case "pass":
			if k.test != "" {
				passed++
			}
		case "skip":
			skipped++
			reason := ""
			for _, o := range outputs[k] {
				if s := strings.TrimSpace(o); strings.Contains(s, ".go:") {
					reason = s
				}
			}
			skips = append(skips, fmt.Sprintf("SKIP %s %s  %s", short(k.pkg, module), k.test, reason))
		case "fail":
			if k.test != "" {
				failed++
			} else if len(outputs[k]) == 0 {
				continue
			}
			fmt.Fprintf(out, "\n--- FAIL %s %s\n", k.pkg, k.test)
			for _, o := range outputs[k] {
				fmt.Fprint(out, o)
			}
		}
	}
	if len(skips) > 0 {
		sort.Strings(skips)
		fmt.Fprintln(out, "\nskipped tests:")
		for _, s := range skips {
			fmt.Fprintln(out, "  "+s)
		}
	}
	code := 0
	if mustRunFile != "" {
		missing, err := checkMustRun(mustRunFile, module, state)
		if err != nil {
			fmt.Fprintln(out, "testreport:", err)
			code = 1
		}
		for _, m := range missing {
			fmt.Fprintln(out, "MUST-RUN test did not pass:", m)
			code = 1
		}
	}
	for _, s := range state {
		if s == "fail" {
			code = 1
		}
	}
	if passed == 0 {
		fmt.Fprintln(out, "testreport: no test passed")
		code = 1
	}
	fmt.Fprintf(out, "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return code
}

func short(pkg, module string) string {
	return strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
}

func checkMustRun(file, module string, state map[key]string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var missing []string
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want `<package> <TestName>`", file, n+1)
		}
		pkg := module + "/" + strings.TrimPrefix(f[0], "./")
		if state[key{pkg, f[1]}] != "pass" {
			missing = append(missing, f[0]+" "+f[1]+" ("+orNone(state[key{pkg, f[1]}])+")")
		}
	}
	return missing, nil
}

func orNone(s string) string {
	if s == "" {
		return "did not run"
	}
	return s
}
