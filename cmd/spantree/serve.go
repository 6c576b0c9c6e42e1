package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
	"github.com/spantree/spantree/wire"
)

func serve(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "[-addr 127.0.0.1:7070] [-db PATH] [-retain 14d]", stderr)
	addr := fs.String("addr", client.DefaultAddr, "listen on `HOST:PORT` (port 0 picks a free one)")
	db := fs.String("db", "", "database `PATH` or clickhouse://HOST:9000/DB URL (default $SPANTREE_DB, else the user data directory)")
	keep := retainFlag(defaultRetain)
	fs.Var(&keep, "retain", "delete traces, spans and rollups older than `AGE` (14d, 36h; 0 keeps everything)")
	alerts := addAlertFlags(fs)
	signins := addSigninFlags(fs)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(stderr, serveLimits)
	}
	if code := parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	if err := alerts.check(); err != nil {
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 2
	}
	if err := signins.check(); err != nil {
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 2
	}
	if err := alerts.readRules(); err != nil {
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 1
	}
	logger := log.New(stderr, "", log.LstdFlags)
	path := *db
	if path == "" {
		p, err := defaultDB()
		if err != nil {
			fmt.Fprintf(stderr, "spantree serve: %v\n", err)
			return 1
		}
		path = p
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, shown, err := openEngine(ctx, path)
	if err != nil {
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 1
	}
	defer st.Close()
	if sq, ok := st.(sqliteEngine); ok {
		if code := quickCheck(ctx, sq.Store, stderr); code >= 0 {
			return code
		}
	}
	auth, err := signins.auth(st, logger)
	if err != nil {
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 1
	}
	if nss, err := st.Namespaces(ctx); err == nil && len(nss) == 0 && auth == nil {
		fmt.Fprintf(stderr, "spantree serve: no API keys yet; make one with: spantree key create -db %s NAMESPACE\n", shown)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 1
	}
	if keep > 0 {
		go retain(ctx, st, time.Duration(keep), time.Now, logger)
	}
	// Notifications link to the web view where browsers reach it.
	base := "http://" + ln.Addr().String()
	if signins.publicURL != "" {
		base = strings.TrimSuffix(signins.publicURL, "/")
	}
	en, stopAlerts, err := alerts.start(ctx, st, base, logger, stderr)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 1
	}
	defer func() {
		stop() // the server may have failed: ctx is not done yet
		stopAlerts()
	}()
	// The API, and the web view at /ui/ (it asks for the API key once, or
	// signs people in).
	mux := http.NewServeMux()
	mux.Handle("/", server.New(st, server.Options{Log: logger, Alerts: en, SignIn: auth}))
	if auth != nil {
		mux.Handle("/auth/", auth.Handler())
		fmt.Fprintf(stderr, "spantree serve: sign-in at %s (redirect URL %s)\n", signins.issuer, auth.RedirectURL())
	}
	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	srv := server.NewHTTPServer(mux, server.DefaultTimeouts, logger)
	fmt.Fprintf(stderr, "spantree serve: listening on http://%s (db %s); web view at http://%s/ui/\n", ln.Addr(), shown, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "spantree serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	// Finish the requests under way (their spans are committed, or
	// acknowledged by ClickHouse, before they are answered), then close
	// the database.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "spantree serve: shutdown: %v\n", err)
	}
	return 0
}

// startCheckTimeout bounds the check of the database file at start.
const startCheckTimeout = 30 * time.Second

// quickCheck checks the database file before serving it, returning 1 when
// it is damaged and -1 to go on. A file too large to check in
// startCheckTimeout is served unchecked, with a note.
func quickCheck(ctx context.Context, st *sqlite.Store, stderr io.Writer) int {
	cctx, cancel := context.WithTimeout(ctx, startCheckTimeout)
	defer cancel()
	err := st.QuickCheck(cctx)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "spantree serve: quick_check of the database did not finish in %v; serving it unchecked\n", startCheckTimeout)
		return -1
	}
	fmt.Fprintf(stderr, "spantree serve: %v\n", err)
	return 1
}

// serveLimits ends serve -h: what the receiver refuses, and how
// (docs/receiver.md has the whole list).
var serveLimits = fmt.Sprintf(`
Limits (docs/receiver.md):
  body %d MiB as sent, %d MiB decompressed: 413
  bodies being decoded at once, all requests: %d MiB (each byte counts twice): 503, Retry-After: 1
  per span: name and location %d B, attribute keys %d B and values %d B, %d attributes,
    %d events, error stack %d B; times 1970..2262: 400 naming the field
  disk full: 507, Retry-After: 10, and GET /healthz 503 until a write succeeds
  damaged database file: exit 1 at start (PRAGMA quick_check, %v at most);
    500 and GET /healthz 503 when found while serving
  timeouts: headers %v, request %v, answer %v, idle connection %v
`, server.DefaultMaxBody>>20, server.DefaultMaxDecoded>>20, server.DefaultDecodeBudget>>20,
	wire.MaxNameLen, wire.MaxAttrKeyLen, wire.MaxValueLen, wire.MaxAttrs, wire.MaxEvents, wire.MaxStackLen,
	startCheckTimeout, server.DefaultTimeouts.ReadHeader, server.DefaultTimeouts.Read, server.DefaultTimeouts.Write, server.DefaultTimeouts.Idle)
