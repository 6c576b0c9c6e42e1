package spanslog_test

import (
	"log/slog"
	"os"

	"github.com/spantree/spantree/runtime/spanslog"
)

// Records of the program's existing slog calls land on the span of the
// function that logged them, and still go to stderr as text.
func ExampleNew() {
	text := slog.NewTextHandler(os.Stderr, nil)
	slog.SetDefault(slog.New(spanslog.New(text, &spanslog.Options{Level: slog.LevelDebug})))

	slog.Info("cache warmed", "entries", 1200) // an event of the current span
}
