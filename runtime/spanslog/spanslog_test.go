package spanslog_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanslog"
	"github.com/spantree/spantree/runtime/spantest"
)

var fnWork = spantree.Func{Name: "app.work", Loc: "app/work.go:3"}

type tokenValuer struct{}

func (tokenValuer) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// event is what the tests compare: an event without its time.
type event struct {
	Level spantree.Level
	Msg   string
	Attrs map[string]any
}

// TestHandler: records become events of the current span with their level,
// message and attributes (groups and WithAttrs flattened to dotted keys),
// the span's level is the highest of its events, and every record still
// reaches the next handler.
func TestHandler(t *testing.T) {
	tests := []struct {
		name      string
		log       func(ctx context.Context, l *slog.Logger)
		want      []event
		wantLevel spantree.Level
		wantNext  []string // substrings of the next handler's lines
	}{
		{
			name: "message and attributes",
			log: func(ctx context.Context, l *slog.Logger) {
				l.InfoContext(ctx, "listening", "port", 8080, "tls", false, "ratio", 0.5, "up", uint64(7))
			},
			want:      []event{{spantree.LevelInfo, "listening", map[string]any{"port": int64(8080), "tls": false, "ratio": 0.5, "up": uint64(7)}}},
			wantLevel: spantree.LevelInfo,
			wantNext:  []string{"level=INFO msg=listening port=8080"},
		},
		{
			name: "groups and WithAttrs",
			log: func(ctx context.Context, l *slog.Logger) {
				l.With("svc", "api").WithGroup("req").With("id", 7).Warn("slow",
					slog.Group("db", "rows", 3), slog.Duration("took", 1500*time.Millisecond),
					slog.Group("", "inline", true), slog.Group("empty"), slog.Attr{})
			},
			want: []event{{spantree.LevelWarn, "slow", map[string]any{
				"svc": "api", "req.id": int64(7), "req.db.rows": int64(3), "req.took": "1.5s", "req.inline": true}}},
			wantLevel: spantree.LevelWarn,
			wantNext:  []string{"level=WARN msg=slow svc=api req.id=7 req.db.rows=3"},
		},
		{
			name: "values resolved",
			log: func(ctx context.Context, l *slog.Logger) {
				l.Error("failed", "err", errors.New("disk full"), "token", tokenValuer{},
					"at", time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), "list", []int{1, 2})
			},
			want: []event{{spantree.LevelError, "failed", map[string]any{
				"err": "disk full", "token": "[redacted]", "at": "2026-11-25T10:00:00Z", "list": []int{1, 2}}}},
			wantLevel: spantree.LevelError,
			wantNext:  []string{`level=ERROR msg=failed err="disk full" token=[redacted]`},
		},
		{
			name: "highest level wins; debug stays off the span",
			log: func(ctx context.Context, l *slog.Logger) {
				l.Debug("noise")
				l.Warn("careful")
				l.Info("fine")
			},
			want:      []event{{spantree.LevelWarn, "careful", nil}, {spantree.LevelInfo, "fine", nil}},
			wantLevel: spantree.LevelWarn,
			wantNext:  []string{"msg=noise", "msg=careful", "msg=fine"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := spantest.Record(t)
			var out bytes.Buffer
			next := slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})
			l := slog.New(spanslog.New(next, nil))
			func() {
				ctx, sp := spantree.StartContext(context.Background(), &fnWork)
				defer sp.Done()
				tt.log(ctx, l)
			}()
			got := rec.Trace(t, fnWork.Name).Span(t, fnWork.Name)
			var evs []event
			for _, e := range got.Events {
				evs = append(evs, event{e.Level, e.Msg, e.Attrs})
			}
			if !reflect.DeepEqual(evs, tt.want) {
				t.Errorf("events =\n%#v\nwant\n%#v", evs, tt.want)
			}
			if got.Level != tt.wantLevel {
				t.Errorf("span level = %q; want %q", got.Level, tt.wantLevel)
			}
			for _, w := range tt.wantNext {
				if !strings.Contains(out.String(), w) {
					t.Errorf("the next handler wrote\n%s\nwant a line containing %q", out.String(), w)
				}
			}
		})
	}
}

// TestHandlerNoSpan: with no span running, records only reach the next
// handler, and a nil next handler is fine.
func TestHandlerNoSpan(t *testing.T) {
	rec := spantest.Record(t)
	var out bytes.Buffer
	slog.New(spanslog.New(slog.NewTextHandler(&out, nil), nil)).Info("outside")
	slog.New(spanslog.New(nil, nil)).Info("nowhere")
	if !strings.Contains(out.String(), "msg=outside") {
		t.Errorf("next handler wrote %q; want the record", out.String())
	}
	if n := len(rec.Traces()); n != 0 {
		t.Errorf("%d traces recorded; want none", n)
	}
}

// TestHandlerEnabled: a record is wanted when the span level or the next
// handler wants it.
func TestHandlerEnabled(t *testing.T) {
	next := slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelError})
	tests := []struct {
		h     *spanslog.Handler
		level slog.Level
		want  bool
	}{
		{spanslog.New(next, nil), slog.LevelDebug, false},
		{spanslog.New(next, nil), slog.LevelInfo, true},
		{spanslog.New(next, &spanslog.Options{Level: slog.LevelWarn}), slog.LevelInfo, false},
		{spanslog.New(next, &spanslog.Options{Level: slog.LevelWarn}), slog.LevelError, true},
		{spanslog.New(nil, &spanslog.Options{Level: slog.LevelDebug}), slog.LevelDebug, true},
	}
	for i, tt := range tests {
		if got := tt.h.Enabled(context.Background(), tt.level); got != tt.want {
			t.Errorf("case %d: Enabled(%v) = %v; want %v", i, tt.level, got, tt.want)
		}
	}
}

func TestLevel(t *testing.T) {
	tests := map[slog.Level]spantree.Level{
		slog.LevelDebug - 4: spantree.LevelDebug, slog.LevelDebug: spantree.LevelDebug,
		slog.LevelInfo: spantree.LevelInfo, slog.LevelInfo + 2: spantree.LevelInfo,
		slog.LevelWarn: spantree.LevelWarn, slog.LevelError: spantree.LevelError, slog.LevelError + 4: spantree.LevelError,
	}
	for in, want := range tests {
		if got := spanslog.Level(in); got != want {
			t.Errorf("Level(%v) = %q; want %q", in, got, want)
		}
	}
}
