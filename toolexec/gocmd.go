package toolexec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spantree/spantree/internal/gomod"
)

const goUsage = `usage: spangen go [-pkgs patterns] build|test|run|install|vet [go flags] [packages] [arguments]

spangen go runs the go command with -toolexec set to spangen, so that the
packages of the main module (tests included) are instrumented as they are
compiled. The source tree, go.mod and go.sum are not touched; positions in
panics, stack traces, compile errors and coverage are the original ones.
-pkgs widens or narrows the set: e.g. main,github.com/google/go-cmp/...
or main,-example.com/m/internal/gen/... (patterns are also read from
SPANGEN_PKGS).
`

// minGo is the oldest go release toolexec mode supports: the runtime's
// go.mod says go 1.22, and TOOLEXEC_IMPORTPATH is needed (go1.19).
const minGo = 22

// subcommands are the go subcommands spangen go runs.
var subcommands = map[string]bool{"build": true, "test": true, "run": true, "install": true, "vet": true}

// Go runs `spangen go [flags] SUBCOMMAND ARGS...`, args being what follows
// "go", and returns the exit status: the go command's own, 2 on bad usage,
// 1 when spangen itself fails before the go command runs.
func Go(args []string) int {
	fs := flag.NewFlagSet("spangen go", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() { fmt.Fprint(os.Stderr, goUsage); fs.PrintDefaults() }
	pkgs := fs.String("pkgs", os.Getenv(envPkgs), "comma-separated package `patterns` to instrument (default main: the main modules' packages)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || !subcommands[fs.Arg(0)] {
		fs.Usage()
		return 2
	}
	ps, err := ParsePatterns(*pkgs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "spangen go: %v\n", err)
		return 2
	}
	cmd, err := goCommand(fs.Arg(0), fs.Args()[1:], ps)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "spangen go: %v\n", err)
			return 2
		}
		return fail(err)
	}
	// The go command gets ^C from the terminal as we do; let it decide.
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	return exitCode(cmd.Run())
}

type usageError struct{ error }

// goEnv is what spangen asks the go command about its environment.
type goEnv struct {
	GOROOT, GOVERSION, GOMOD, GOWORK, GOFLAGS string
}

// goCommand prepares the go command of spangen go: it builds the runtime
// with the flags of the build, writes the configuration the toolexec
// processes read, and adds -toolexec and the -gcflags that mark the packages
// to instrument.
func goCommand(sub string, args []string, ps Patterns) (*exec.Cmd, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("find the go command: %w", err)
	}
	// -C must come first, and changes where everything happens.
	var lead []string
	dir := ""
	if len(args) > 0 {
		if d, ok := strings.CutPrefix(strings.TrimPrefix(args[0], "-"), "-C="); ok {
			dir, lead, args = d, args[:1], args[1:]
		} else if (args[0] == "-C" || args[0] == "--C") && len(args) > 1 {
			dir, lead, args = args[1], args[:2], args[2:]
		}
	}
	env, err := readGoEnv(gobin, dir)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(env.GOVERSION); err != nil {
		return nil, err
	}
	goflags, err := splitQuoted(env.GOFLAGS)
	if err != nil {
		return nil, usageError{fmt.Errorf("GOFLAGS: %w", err)}
	}
	sc, err := scanArgs(sub, args)
	if err != nil {
		return nil, usageError{err}
	}
	var keptGoflags, userGcflags, prepFlags []string
	for _, f := range goflags {
		name, value, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch {
		case name == "toolexec":
			return nil, usageError{errors.New("GOFLAGS sets -toolexec, which spangen go sets itself")}
		case name == "gcflags":
			userGcflags = append(userGcflags, value)
			prepFlags = append(prepFlags, f)
			continue
		case compileFlags[name]:
			prepFlags = append(prepFlags, f)
		}
		keptGoflags = append(keptGoflags, f)
	}
	userGcflags = append(userGcflags, sc.gcflags...)
	prepFlags = append(prepFlags, sc.compile...)

	cfg := &Config{Pkgs: ps}
	switch {
	case (env.GOWORK == "" || env.GOWORK == "off") && env.GOMOD != "" && env.GOMOD != os.DevNull && len(sc.modFlags) == 0 && !slices.ContainsFunc(goflags, isModfileFlag):
		// One main module: its go.mod says all, without a second go command.
		m, err := gomod.ReadModule(env.GOMOD)
		if err != nil {
			return nil, err
		}
		cfg.Main = []Module{m}
	case env.GOMOD != "" && env.GOMOD != os.DevNull || env.GOWORK != "" && env.GOWORK != "off":
		if cfg.Main, err = mainModules(gobin, dir, sc.modFlags); err != nil {
			return nil, err
		}
	}
	cfg.ID = cfg.hash()
	cfg.Flags = prepFlags
	if cfg.Exports, err = prepare(env.GOROOT, prepFlags, RuntimePath); err != nil {
		return nil, err
	}
	cfgFile, err := cfg.save()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the spangen executable: %w", err)
	}
	if self, err = filepath.Abs(self); err != nil {
		return nil, err
	}

	out := []string{sub}
	out = append(out, lead...)
	out = append(out, "-toolexec="+joinQuoted([]string{self, "toolexec"}))
	out = append(out, markerGcflags(cfg, userGcflags)...)
	out = append(out, sc.args...)
	cmd := exec.Command(gobin, out...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envConfig+"="+cfgFile)
	if len(keptGoflags) != len(goflags) {
		cmd.Env = append(cmd.Env, "GOFLAGS="+joinQuoted(keptGoflags))
	}
	return cmd, nil
}

// markerGcflags returns the -gcflags that give the -spantree=ID flag to the
// packages to instrument, followed by the user's own -gcflags with the
// marker added. For each package the go command uses the last -gcflags
// whose pattern matches it, so the user's flags still apply wherever they
// did, and the marker is on every package that may be instrumented (the
// toolexec step checks the patterns again, with exclusions).
func markerGcflags(cfg *Config, user []string) []string {
	marker := markerFlag + cfg.ID
	var out []string
	add := func(pattern string) { out = append(out, "-gcflags="+pattern+"="+marker) }
	for _, p := range cfg.Pkgs {
		switch {
		case strings.HasPrefix(p, "-"):
		case p == "main" && len(cfg.Main) == 0:
			out = append(out, "-gcflags="+marker) // packages named on the command line
		case p == "main":
			for _, m := range cfg.Main {
				// The root package's external tests are m.Path_test,
				// which m.Path/... does not match.
				add(m.Path + "/...")
				add(m.Path + "_test")
			}
		default:
			add(p)
			if base, ok := strings.CutSuffix(p, "/..."); ok {
				add(base + "_test") // as Patterns.Match reads it
			}
		}
	}
	// The runtime module's own packages, when the program imports them
	// (spantest in a test), are compiled against the runtime spangen
	// carries (pinRuntime): the marker keeps those compiles apart from a
	// plain build's in the go command's cache.
	add(RuntimePath + "/...")
	for _, u := range user {
		out = append(out, "-gcflags="+strings.TrimSpace(u+" "+marker))
	}
	return out
}

// readGoEnv asks the go command for the variables spangen go needs, once
// per situation: the answer is memoized under a key made of everything it
// depends on (goEnvKey), which costs a few file stats instead of starting
// the go command on every build.
func readGoEnv(gobin, dir string) (*goEnv, error) {
	memo := ""
	if key, ok := goEnvKey(gobin, dir); ok {
		if cache, err := cacheDir(); err == nil {
			memo = filepath.Join(cache, "goenv", key+".json")
			if b, err := os.ReadFile(memo); err == nil {
				var env goEnv
				if json.Unmarshal(b, &env) == nil && env.GOROOT != "" {
					return &env, nil
				}
			}
		}
	}
	env, err := runGoEnv(gobin, dir)
	if err == nil && memo != "" {
		if b, err := json.Marshal(env); err == nil {
			_ = writeCache(memo, b) // without a memo, go env runs next time
		}
	}
	return env, err
}

// goEnvKey identifies what go env's answer depends on: the go binary (path,
// size, time), the directory, the environment (GO*, CGO_*, and the
// variables that locate the user's go env file), that file, and the go.mod
// and go.work files of the directory and its parents (their contents: a
// toolchain line changes GOROOT). ok is false when something cannot be
// read: then go env runs.
func goEnvKey(gobin, dir string) (key string, ok bool) {
	h := sha256.New()
	id, ok := fileID(gobin)
	if !ok {
		return "", false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	fmt.Fprintf(h, "go %s\ndir %s\n", id, abs)
	fmt.Fprintf(h, "env %q\n", goEnviron("GOFLAGS", "HOME", "XDG_CONFIG_HOME", "PATH"))
	if cfg, err := os.UserConfigDir(); err == nil {
		b, err := os.ReadFile(filepath.Join(cfg, "go", "env"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
		fmt.Fprintf(h, "goenv %q\n", b)
	}
	for d := abs; ; d = filepath.Dir(d) {
		for _, name := range []string{"go.mod", "go.work"} {
			b, err := os.ReadFile(filepath.Join(d, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", false
			}
			if err == nil {
				fmt.Fprintf(h, "%s/%s %q\n", d, name, b)
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), true
}

func runGoEnv(gobin, dir string) (*goEnv, error) {
	cmd := exec.Command(gobin, "env", "-json", "GOROOT", "GOVERSION", "GOMOD", "GOWORK", "GOFLAGS")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w\n%s", err, stderr.Bytes())
	}
	var env goEnv
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	return &env, nil
}

// checkVersion refuses go releases older than go1.minGo.
func checkVersion(v string) error {
	rest, ok := strings.CutPrefix(v, "go1.")
	if !ok {
		return nil // a development toolchain
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	minor, err := strconv.Atoi(rest[:end])
	if err == nil && minor < minGo {
		return fmt.Errorf("%s is too old: spangen go needs go1.%d or later", v, minGo)
	}
	return nil
}

// isModfileFlag reports whether f is -modfile, which names another go.mod.
func isModfileFlag(f string) bool {
	return strings.HasPrefix(strings.TrimLeft(f, "-"), "modfile")
}

// mainModules lists the main modules (several in a go.work workspace).
func mainModules(gobin, dir string, modFlags []string) ([]Module, error) {
	args := append([]string{"list", "-m", "-json"}, modFlags...)
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list the main modules: %w\n%s", err, stderr.Bytes())
	}
	var mods []Module
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m Module
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("list the main modules: %w", err)
		}
		mods = append(mods, m)
	}
	return mods, nil
}
