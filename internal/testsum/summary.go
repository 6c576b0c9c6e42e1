package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output and build-fail
	FailedBuild string
}

// summary follows the events of one or more go test runs and prints the
// progress to w. Its zero value is not ready: use newSummary.
type summary struct {
	w                       io.Writer
	passed, failed, skipped int
	packages                int
	failures                []string // "pkg TestX", or "pkg" for a package failure

	pkgs  map[string]*pkgState
	build map[string][]string // build output by ImportPath
}

type pkgState struct {
	failedTests int
	output      []string            // package-level output (no test)
	tests       map[string][]string // output by test, until it ends
	running     map[string]time.Time
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, pkgs: map[string]*pkgState{}, build: map[string][]string{}}
}

func (s *summary) pkg(name string) *pkgState {
	p := s.pkgs[name]
	if p == nil {
		p = &pkgState{tests: map[string][]string{}, running: map[string]time.Time{}}
		s.pkgs[name] = p
	}
	return p
}

// event takes one event, received at now.
func (s *summary) event(e event, now time.Time) {
	switch e.Action {
	case "build-output":
		s.build[e.ImportPath] = append(s.build[e.ImportPath], e.Output)
		return
	case "build-fail", "start":
		return
	}
	p := s.pkg(e.Package)
	if e.Test != "" {
		s.testEvent(p, e, now)
		return
	}
	switch e.Action {
	case "output":
		p.output = append(p.output, e.Output)
	case "pass":
		s.packages++
		fmt.Fprintf(s.w, "ok    %s %s\n", e.Package, seconds(e.Elapsed))
		delete(s.pkgs, e.Package)
	case "skip":
		// A package without test files: nothing to say.
		s.packages++
		delete(s.pkgs, e.Package)
	case "fail":
		s.packages++
		fmt.Fprintf(s.w, "FAIL  %s %s\n", e.Package, seconds(e.Elapsed))
		if e.FailedBuild != "" {
			s.write(s.build[e.FailedBuild])
		}
		// Tests that never ended (a panic or a timeout) and the package's
		// own output say why it failed.
		for _, name := range slices.Sorted(maps.Keys(p.tests)) {
			s.write(p.tests[name])
		}
		if p.failedTests == 0 {
			s.write(p.output)
			s.failed++
			s.failures = append(s.failures, e.Package)
		}
		delete(s.pkgs, e.Package)
	}
}

func (s *summary) testEvent(p *pkgState, e event, now time.Time) {
	switch e.Action {
	case "run":
		p.running[e.Test] = now
	case "output":
		p.tests[e.Test] = append(p.tests[e.Test], e.Output)
	case "pass", "skip", "fail":
		switch e.Action {
		case "pass":
			s.passed++
		case "skip":
			s.skipped++
		case "fail":
			s.failed++
			p.failedTests++
			s.failures = append(s.failures, e.Package+" "+e.Test)
			s.testFailed(e, p.tests[e.Test])
		}
		delete(p.tests, e.Test)
		delete(p.running, e.Test)
	}
}

// commandFailed counts a command that exited non-zero although none of its
// tests or packages failed (go test could not even start them).
func (s *summary) commandFailed(cmd string, err error) {
	s.failed++
	s.failures = append(s.failures, cmd)
	fmt.Fprintf(s.w, "FAIL  %s: %v\n", cmd, err)
}

// running says which top-level tests have run longest, for a line printed
// when nothing finished for a while.
func (s *summary) running(now time.Time) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(s.pkgs)) {
		p := s.pkgs[name]
		longest, since := "", now
		for t, at := range p.running {
			if !strings.Contains(t, "/") && at.Before(since) {
				longest, since = t, at
			}
		}
		if longest == "" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %v", short(name), longest, now.Sub(since).Round(time.Second)))
	}
	return strings.Join(parts, ", ")
}

// done prints the failures again and the summary line.
func (s *summary) done(elapsed time.Duration) {
	if len(s.failures) > 0 {
		fmt.Fprintln(s.w, "\nfailed:")
		for _, f := range s.failures {
			fmt.Fprintf(s.w, "  %s\n", f)
		}
	}
	pkgs := "packages"
	if s.packages == 1 {
		pkgs = "package"
	}
	fmt.Fprintf(s.w, "\n%d passed, %d failed, %d skipped (%d %s, %v)\n",
		s.passed, s.failed, s.skipped, s.packages, pkgs, elapsed.Round(time.Second))
}

// testFailed prints the output of a failed test under a header naming it,
// without go test's framing lines; a test whose only lines are the framing
// (a parent whose subtest failed) prints nothing more.
func (s *summary) testFailed(e event, output []string) {
	var lines []string
	for _, l := range output {
		if strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- FAIL: ") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(s.w, "FAIL  %s %s\n", e.Package, e.Test)
	s.write(lines)
}

func (s *summary) write(lines []string) {
	for _, l := range lines {
		io.WriteString(s.w, "    "+l)
	}
}

func seconds(f float64) string { return fmt.Sprintf("%.1fs", f) }

// short drops the module path from a package of this repository, for the
// running line.
func short(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/spantree/spantree/")
}
