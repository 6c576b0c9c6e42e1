package readme

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// root is the checkout, relative to this package.
const root = "../.."

// substitutes maps README lines that a test cannot run as written to what
// it runs instead. The test fails when one of these lines is no longer in
// the README.
var substitutes = map[string]string{
	// The network: the test copies this checkout where the clone would go.
	"git clone https://github.com/spantree/spantree ~/src/spantree": `mkdir -p ~/src && cp -R "$README_CHECKOUT" ~/src/spantree`,
	// Unpublished: check that the packages it names are the clone's
	// commands, which is what @latest will install.
	"go install github.com/spantree/spantree/cmd/spangen@latest github.com/spantree/spantree/cmd/spantree@latest  # once published": `go -C ~/src/spantree list -f '{{.Name}} {{.ImportPath}}' github.com/spantree/spantree/cmd/spangen github.com/spantree/spantree/cmd/spantree | grep -c '^main ' | grep -qx 2`,
	// The reader's module is the stand-in.
	"cd path/to/your/module": `cd ~/yourmodule`,
	// A server that runs on: on a free port (other tests may hold 7070),
	// stopped at the end, and waited for.
	"spantree serve &": `spantree serve -addr "$SPANTREE_ADDR" & readme_waitport "$SPANTREE_ADDR"`,
	// A terminal: the UI runs in tmux, must show the program's root span,
	// and must quit on q with status 0.
	"spantree ui": `readme_ui main.main`,
}

// header is the start of the session: strict mode, and the helpers the
// substitutes call.
const header = `set -euo pipefail
readme_cleanup() {
	tmux -L "$README_TMUX" kill-server 2>/dev/null || true
	kill $(jobs -p) 2>/dev/null || true
}
trap readme_cleanup EXIT
readme_waitport() {
	local host=${1%:*} port=${1##*:}
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "readme: nothing listens on $1" >&2
	return 1
}
readme_ui() {
	command -v tmux >/dev/null || { echo "readme: tmux is needed to run spantree ui (.ci/run installs it)" >&2; return 1; }
	rm -f "$HOME/ui.status"
	tmux -L "$README_TMUX" new-session -d -x 120 -y 30 "spantree ui 2>$HOME/ui.err; echo \$? >$HOME/ui.status"
	for _ in $(seq 600); do
		if tmux -L "$README_TMUX" capture-pane -p | grep -q "$1"; then break; fi
		sleep 0.1
	done
	tmux -L "$README_TMUX" capture-pane -p
	tmux -L "$README_TMUX" capture-pane -p | grep -q "$1" || { echo "readme: spantree ui does not show $1" >&2; cat "$HOME/ui.err" >&2; return 1; }
	tmux -L "$README_TMUX" send-keys q
	for _ in $(seq 100); do
		if [ -s "$HOME/ui.status" ]; then break; fi
		sleep 0.1
	done
	[ "$(cat "$HOME/ui.status" 2>/dev/null)" = 0 ] || { echo "readme: spantree ui did not quit with status 0 on q" >&2; cat "$HOME/ui.err" >&2; return 1; }
}
`

// block is a fenced block of the README.
type block struct {
	lang  string
	line  int // of the opening fence
	lines []string
}

// blocks returns the fenced blocks of a Markdown text.
func blocks(md []byte) ([]block, error) {
	var out []block
	var cur *block
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		trimmed := strings.TrimSpace(l)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{lang: strings.TrimPrefix(trimmed, "```"), line: n}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, l)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the block is not closed", cur.line)
	}
	return out, sc.Err()
}

// script turns the sh blocks into one bash session, each line replaced by
// its substitute if it has one, and returns the substitutes it used.
func script(bs []block) (string, map[string]bool, error) {
	var b strings.Builder
	b.WriteString(header)
	used := map[string]bool{}
	for _, bl := range bs {
		switch bl.lang {
		case "sh":
		case "", "text", "go":
			continue
		default:
			return "", nil, fmt.Errorf("README.md:%d: a block tagged %q: tag commands sh, and the rest text or go", bl.line, bl.lang)
		}
		for i, l := range bl.lines {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			fmt.Fprintf(&b, "echo %s\n", shellQuote(fmt.Sprintf("$ %s    # README.md:%d", l, bl.line+1+i)))
			if sub, ok := substitutes[l]; ok {
				used[l] = true
				l = sub
			}
			b.WriteString(l + "\n")
		}
	}
	return b.String(), used, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestBlocks checks the README's blocks against the rules of the runner:
// known tags only, and every substitute still names a line of the README.
func TestBlocks(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blocks(md)
	if err != nil {
		t.Fatal(err)
	}
	_, used, err := script(bs)
	if err != nil {
		t.Fatal(err)
	}
	for l := range substitutes {
		if !used[l] {
			t.Errorf("the substitute for %q has no line in README.md: update the substitutes table", l)
		}
	}
}

// TestScript checks the runner on a small Markdown text: sh blocks only,
// substitutes in place, every line echoed with its README line first.
func TestScript(t *testing.T) {
	md := "intro\n\n```sh\nspangen go test ./...\ncd path/to/your/module\n```\n\n```text\nnot a command\n```\n\n```go\nfunc f() {}\n```\n"
	bs, err := blocks([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := script(bs)
	if err != nil {
		t.Fatal(err)
	}
	want := header + `echo '$ spangen go test ./...    # README.md:4'
spangen go test ./...
echo '$ cd path/to/your/module    # README.md:5'
cd ~/yourmodule
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("script (-want +got):\n%s", diff)
	}
	if _, _, err := script([]block{{lang: "bash", line: 3}}); err == nil {
		t.Error("script accepted a block tagged bash; want an error naming the tags")
	}
	if _, err := blocks([]byte("```sh\nls\n")); err == nil {
		t.Error("blocks accepted an unclosed block; want an error")
	}
}

// TestREADME runs the README's commands (see the package documentation).
func TestREADME(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("the README's commands need bash")
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blocks(md)
	if err != nil {
		t.Fatal(err)
	}
	sh, _, err := script(bs)
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	checkout := filepath.Join(tmp, "checkout")
	if err := copyTree(checkout, root); err != nil {
		t.Fatal(err)
	}
	module := filepath.Join(home, "yourmodule")
	original := extract(t, module, filepath.Join("testdata", "module.txtar"))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", sh)
	cmd.Dir = home
	cmd.Env = environment(t, home, checkout, filepath.Base(tmp))
	out, err := cmd.CombinedOutput()
	if testing.Verbose() {
		t.Logf("the session:\n%s", out)
	}
	if err != nil {
		t.Fatalf("a README command failed (%v); the session's last lines:\n%s", err, tail(out, 80))
	}
	if diff := cmp.Diff(original, readTree(t, module, original)); diff != "" {
		t.Errorf("after the README's spangen -undo -w, the module differs from the original (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(module, "go.sum")); err == nil {
		t.Error("the module has a go.sum after the README's commands; the runtime has no dependencies")
	}
}

// environment is the session's: a scratch home (so the receiver's
// database, spangen's cache and the installed tools are the test's), the
// go command's caches and settings kept (so nothing is downloaded again),
// no SPANTREE_ variable but a free address for the receiver.
func environment(t *testing.T, home, checkout, sock string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SPANTREE_") || strings.HasPrefix(k, "SPANGEN_") || strings.HasPrefix(k, "XDG_") ||
			slices.Contains([]string{"HOME", "PATH", "GOBIN", "TMUX", "GOENV"}, k) {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOFLAGS", "GOTOOLCHAIN"} {
		v, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(v)))
	}
	gobin := filepath.Join(home, "go", "bin")
	return append(env,
		"HOME="+home,
		"GOBIN="+gobin,
		"PATH="+gobin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SPANTREE_ADDR="+freeAddr(t),
		"README_CHECKOUT="+checkout,
		"README_TMUX=readme-"+sock,
	)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// extract writes the files of a txtar archive under dir and returns them.
func extract(t *testing.T, dir, archive string) map[string]string {
	a, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range a.Files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files[f.Name] = string(f.Data)
	}
	return files
}

// readTree reads the Go files and go.mod of dir, and the files of want,
// keyed as in want. Other files (the spans the README writes, binaries)
// are not the module's.
func readTree(t *testing.T, dir string, want map[string]string) map[string]string {
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := want[rel]; !ok && !strings.HasSuffix(rel, ".go") && rel != "go.mod" {
			return nil
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// copyTree copies the checkout at src to dst, leaving out what is not
// source: .git and the built binaries in bin.
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == ".git" || rel == "bin" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
