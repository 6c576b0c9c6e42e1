package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// quiet is how long nothing may finish before testsum says what still runs.
const quiet = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one go test run.
type command struct {
	dir  string
	args []string
}

func (c command) String() string {
	s := strings.Join(c.args, " ")
	if c.dir != "" {
		s = "(in " + c.dir + ") " + s
	}
	return s
}

// parseArgs splits the command line at "---" into commands, each with an
// optional -C DIR, and adds -json after "go test".
func parseArgs(args []string) ([]command, error) {
	var cmds []command
	for len(args) > 0 {
		i := slices.Index(args, "---")
		if i < 0 {
			i = len(args)
		}
		part := args[:i]
		args = args[min(i+1, len(args)):]
		var c command
		if len(part) >= 2 && part[0] == "-C" {
			c.dir, part = part[1], part[2:]
		}
		if len(part) < 2 || part[1] != "test" {
			return nil, fmt.Errorf("want go test ARGS..., got %q", strings.Join(part, " "))
		}
		c.args = append([]string{part[0], "test", "-json"}, part[2:]...)
		cmds = append(cmds, c)
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("no command")
	}
	return cmds, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "testsum: %v\nusage: testsum [-C DIR] go test ARGS... [--- [-C DIR] go test ARGS...]...\n", err)
		return 2
	}
	start := time.Now()
	var mu sync.Mutex
	s := newSummary(stdout)
	last := start
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(quiet / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				mu.Lock()
				if now.Sub(last) >= quiet {
					if r := s.running(now); r != "" {
						fmt.Fprintf(stdout, "      still running: %s\n", r)
					}
					last = now
				}
				mu.Unlock()
			}
		}
	}()
	for _, c := range cmds {
		err := runOne(c, stderr, func(e event) {
			mu.Lock()
			defer mu.Unlock()
			before := s.packages
			s.event(e, time.Now())
			if s.packages != before {
				last = time.Now()
			}
		}, func(line string) {
			mu.Lock()
			defer mu.Unlock()
			io.WriteString(stdout, line)
		})
		mu.Lock()
		if err != nil && s.failed == 0 {
			s.commandFailed(c.String(), err)
		}
		mu.Unlock()
	}
	close(stop)
	mu.Lock()
	defer mu.Unlock()
	s.done(time.Since(start))
	if s.failed > 0 {
		return 1
	}
	return 0
}

// runOne runs c, handing each JSON event of its stdout to onEvent and any
// other line (which go test prints only when something went wrong before
// the tests) to onLine.
func runOne(c command, stderr io.Writer, onEvent func(event), onLine func(string)) error {
	cmd := exec.Command(c.args[0], c.args[1:]...)
	cmd.Dir = c.dir
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			var e event
			if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &e) == nil {
				onEvent(e)
			} else {
				onLine(line)
			}
		}
		if err != nil {
			break
		}
	}
	return cmd.Wait()
}
