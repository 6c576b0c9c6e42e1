// Command showcase renders the image near the top of the README: the sample
// program (testdata/demo) run twice from the same source, on the left as it
// is, printing its ordinary log lines, on the right instrumented by
// `spangen -w`, printing its tree. Both runs are real: the instrumented one
// runs in a tmux pane, a real terminal, so that the tree sink colours its
// output as it would for a person; the two outputs are laid side by side in
// an HTML page that Debian's Chromium, headless, turns into a PNG.
//
//	go run ./internal/showcase -o docs/showcase.png   (make showcase)
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "docs/showcase.png", "the PNG to write")
	flag.Parse()
	if err := run(context.Background(), *out); err != nil {
		fmt.Fprintf(os.Stderr, "showcase: %v\n", err)
		os.Exit(1)
	}
}

// run renders the showcase of the repository in the working directory
// into out.
func run(ctx context.Context, out string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "showcase-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	plain, err := plainRun(ctx, root, tmp)
	if err != nil {
		return err
	}
	tree, err := treeRun(ctx, root, tmp)
	if err != nil {
		return err
	}
	page := filepath.Join(tmp, "showcase.html")
	lines := max(strings.Count(plain, "\n"), strings.Count(tree, "\n")) + 1
	if err := os.WriteFile(page, []byte(renderPage(plain, tree)), 0o600); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	return screenshot(ctx, page, abs, 1800, 110+lines*19)
}

// plainRun runs the demo as it is and returns what it printed.
func plainRun(ctx context.Context, root, tmp string) (string, error) {
	dir := filepath.Join(tmp, "plain")
	if err := copyDir(filepath.Join(root, "testdata", "demo"), dir); err != nil {
		return "", err
	}
	b, err := command(ctx, dir, nil, "go", "run", ".")
	return "$ go run .\n" + string(b), err
}

// treeRun instruments a copy of the demo with spangen -w, builds it, and
// runs it in a tmux pane, returning the pane's text with its colours (SGR
// escapes).
func treeRun(ctx context.Context, root, tmp string) (string, error) {
	dir := filepath.Join(tmp, "tree")
	if err := copyDir(filepath.Join(root, "testdata", "demo"), dir); err != nil {
		return "", err
	}
	spangen := filepath.Join(tmp, "spangen")
	if _, err := command(ctx, root, nil, "go", "build", "-o", spangen, "./cmd/spangen"); err != nil {
		return "", err
	}
	if _, err := command(ctx, dir, nil, spangen, "-w", "-replace", root, "./..."); err != nil {
		return "", err
	}
	if _, err := command(ctx, dir, nil, "go", "build", "-o", "demo", "."); err != nil {
		return "", err
	}
	const sock = "spantree-showcase"
	tmux := func(args ...string) ([]byte, error) {
		return command(ctx, dir, nil, "tmux", append([]string{"-L", sock, "-f", "/dev/null"}, args...)...)
	}
	defer tmux("kill-server")
	script := "printf '$ spangen -w ./... && SPANTREE_SINK=tree go run .\\n'; SPANTREE_SINK=tree SPANTREE_SERVICE=demo ./demo; tmux -L " + sock + " wait-for -S done; sleep 60"
	if _, err := tmux("new-session", "-d", "-s", "showcase", "-x", "110", "-y", "200", "-e", "TERM=xterm-256color", "sh", "-c", script); err != nil {
		return "", err
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := command(wait, dir, nil, "tmux", "-L", sock, "wait-for", "done"); err != nil {
		return "", fmt.Errorf("the instrumented demo did not finish: %w", err)
	}
	b, err := tmux("capture-pane", "-p", "-e", "-J", "-t", "showcase")
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\n") + "\n", nil
}

// screenshot has headless Chromium render page into png, w by h pixels.
func screenshot(ctx context.Context, page, png string, w, h int) error {
	bin := "chromium"
	if _, err := exec.LookPath(bin); err != nil {
		return errors.New("chromium is not installed (apt-get install chromium)")
	}
	_, err := command(ctx, filepath.Dir(page), nil, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--hide-scrollbars", "--force-device-scale-factor=1", fmt.Sprintf("--window-size=%d,%d", w, h),
		"--screenshot="+png, "file://"+page)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		return fmt.Errorf("chromium wrote no screenshot to %s", png)
	}
	return nil
}

// renderPage lays the two outputs side by side.
func renderPage(plain, tree string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><style>
body { margin: 0; background: #1e1f24; color: #d8dae0; font: 14px/19px "DejaVu Sans Mono", monospace; }
main { display: grid; grid-template-columns: 610px 1fr; gap: 0; }
section { padding: 14px 18px; }
section + section { border-left: 1px solid #3a3c44; }
h1 { font: 600 15px/22px "DejaVu Sans", sans-serif; margin: 0 0 10px; color: #fff; }
h1 span { font-weight: 400; color: #9ea3ad; }
pre { margin: 0; white-space: pre; font: inherit; }
.b { font-weight: 700; } .d { opacity: 0.6; }
.c31 { color: #ff6b6b; } .c32 { color: #7bd88f; } .c33 { color: #fcd566; } .c36 { color: #5ad4e6; }
.c34 { color: #6aa7ff; } .c35 { color: #e288ff; } .c90 { color: #8a8f98; }
</style><main><section><h1>Log lines <span>the program as it is</span></h1><pre>`)
	b.WriteString(html.EscapeString(plain))
	b.WriteString(`</pre></section><section><h1>A tree of spans <span>the same source after spangen -w</span></h1><pre>`)
	b.WriteString(ansiHTML(tree))
	b.WriteString("</pre></section></main>\n")
	return b.String()
}

// command runs name args in dir and returns its output (stdout and stderr).
func command(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return out.Bytes(), nil
}

// copyDir copies the regular files of the tree src to dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
