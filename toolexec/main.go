package toolexec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const toolexecUsage = `usage: spangen toolexec [-pkgs patterns] TOOL ARGS...

spangen toolexec is what the go command runs for every tool of a build when
it is given -toolexec="spangen toolexec" (spangen go ... sets that up): it
instruments the packages to instrument at their compile step, adds the
spantree runtime to their link step, and runs every other tool as it is.
`

// Main runs `spangen toolexec [flags] TOOL ARGS...`, args being what follows
// "toolexec", and returns the exit status: the tool's own, 2 on bad usage, 1
// when spangen itself fails.
func Main(args []string) int {
	fs := flag.NewFlagSet("spangen toolexec", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() { fmt.Fprint(os.Stderr, toolexecUsage); fs.PrintDefaults() }
	pkgs := fs.String("pkgs", os.Getenv(envPkgs), "comma-separated package `patterns` to instrument (default main: the main modules' packages)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	t := &tool{path: fs.Arg(0), args: fs.Args()[1:]}
	t.name = strings.TrimSuffix(filepath.Base(t.path), ".exe")

	if name := os.Getenv(envConfig); name != "" {
		c, err := loadConfig(name)
		if err != nil {
			return fail(err)
		}
		t.cfg, t.viaGo = c, true
	} else {
		ps, err := ParsePatterns(*pkgs)
		if err != nil {
			fmt.Fprintf(os.Stderr, "spangen toolexec: %v\n", err)
			return 2
		}
		t.cfg = &Config{Pkgs: ps}
		t.cfg.ID = t.cfg.hash()
	}

	if len(t.args) == 1 && t.args[0] == "-V=full" {
		return t.version()
	}
	var err error
	switch t.name {
	case "compile":
		err = t.compile()
	case "link":
		err = t.link()
	}
	if err != nil {
		return fail(err)
	}
	return t.run()
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "spangen: %v\n", err)
	return 1
}

// tool is one tool invocation by the go command.
type tool struct {
	name string // compile, link, asm, vet, cover...
	path string
	args []string
	cfg  *Config
	// viaGo tells that spangen go started the build: the packages to
	// instrument carry a -spantree=ID compiler flag (given through -gcflags),
	// which keys the go command's cache, so tool versions are left as they
	// are. Otherwise the version of compile and link carries the
	// configuration (see version).
	viaGo bool
}

// version answers the go command's `TOOL -V=full` query, whose answer keys
// the go command's cache for everything the tool builds. In a direct
// -toolexec build, spangen's identity and configuration are added to the
// answers of compile and link, so that instrumented and plain builds never
// share cache entries. Under spangen go the -spantree compiler flag does
// that for the instrumented packages only, so the standard library and
// dependencies, compiled as they always are, stay shared with plain builds.
func (t *tool) version() int {
	line, ok := readToolVersion(t.path)
	if !ok {
		cmd := exec.Command(t.path, t.args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Stdout.Write(out.Bytes())
			return exitCode(err)
		}
		line = strings.TrimSpace(out.String())
		writeToolVersion(t.path, line)
	}
	if !t.viaGo && (t.name == "compile" || t.name == "link") {
		line = markVersion(line, t.cfg.ID)
	}
	fmt.Println(line)
	return 0
}

// The go command asks every tool for -V=full once per build, and through
// -toolexec it cannot skip the question as it does for a release toolchain:
// answering from a memo spares a warm build starting the compiler, the
// linker and the assembler only to print their versions. The memo's key is
// the tool file's identity (path, size, modification time, inode) and the
// environment that configures it (GO*, CGO_*: GOEXPERIMENT changes the
// answer).

// toolVersionMemo names the memo of the -V=full answer of the tool at path.
func toolVersionMemo(path string) string {
	id, ok := fileID(path)
	if !ok {
		return ""
	}
	dir, err := cacheDir()
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%q", id, goEnviron())
	return filepath.Join(dir, "version", hex.EncodeToString(h.Sum(nil)[:12]))
}

func readToolVersion(path string) (string, bool) {
	name := toolVersionMemo(path)
	if name == "" {
		return "", false
	}
	b, err := os.ReadFile(name)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

func writeToolVersion(path, line string) {
	if name := toolVersionMemo(path); name != "" && line != "" {
		_ = writeCache(name, []byte(line)) // without a memo, the tool answers next time
	}
}

// markVersion adds id to a -V=full answer. For a release toolchain the go
// command uses the whole line; for a development one only the content part
// of the final buildID=..., so id goes there.
func markVersion(line, id string) string {
	f := strings.Fields(line)
	if len(f) >= 3 && strings.Contains(f[2], "devel") && strings.HasPrefix(f[len(f)-1], "buildID=") {
		return line + ".spantree-" + id
	}
	return line + " spantree=" + id
}

// run runs the tool with t.args.
func (t *tool) run() int {
	cmd := exec.Command(t.path, t.args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return exitCode(cmd.Run())
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return ee.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "spangen: %v\n", err)
	return 1
}

// flagValue returns the value of -name in a tool's arguments (flags as
// "-name value" or "-name=value"), and its index.
func flagValue(args []string, name string) (string, int) {
	for i, a := range args {
		if a == "-"+name && i+1 < len(args) {
			return args[i+1], i + 1
		}
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v, i
		}
	}
	return "", -1
}

// setFlagValue sets the value of the flag whose value flagValue found at i.
func setFlagValue(args []string, i int, name, value string) {
	if strings.HasPrefix(args[i], "-"+name+"=") {
		args[i] = "-" + name + "=" + value
	} else {
		args[i] = value
	}
}

// goroot is the GOROOT of the tool: GOROOT/pkg/tool/GOOS_GOARCH/TOOL.
func (t *tool) goroot() string {
	return filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(t.path))))
}

// ensureExports builds the runtime for a direct -toolexec build, the first
// time a tool needs it (spangen go builds it before the build starts). The
// flags that change how packages compile are those the compiler or linker
// was given and those in GOFLAGS.
func (t *tool) ensureExports() error {
	if t.cfg.Exports != nil {
		return nil
	}
	var flags []string
	for _, f := range []string{"-race", "-msan", "-asan"} {
		if slices.Contains(t.args, f) {
			flags = append(flags, f)
		}
	}
	gf, err := splitQuoted(os.Getenv("GOFLAGS"))
	if err != nil {
		return fmt.Errorf("GOFLAGS: %w", err)
	}
	for _, f := range gf {
		if name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "="); compileFlags[name] && !slices.Contains(flags, f) {
			flags = append(flags, f)
		}
	}
	ex, err := prepare(t.goroot(), flags, RuntimePath)
	if err != nil {
		return err
	}
	t.cfg.Exports, t.cfg.Flags = ex, flags
	return nil
}

// httpExports returns the archives of spanhttp and of the packages it
// imports, built with the build's flags the first time a package of a
// program that links net/http needs them (memoized like the runtime's).
func (t *tool) httpExports() (Exports, error) {
	if err := t.ensureExports(); err != nil {
		return nil, err
	}
	return prepare(t.goroot(), t.cfg.Flags, HTTPPath)
}
