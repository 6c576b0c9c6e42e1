package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/wire"
)

// tagFlags collects repeated -tag k=v flags.
type tagFlags map[string]string

func (t tagFlags) String() string { return "" }

func (t tagFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want k=v, got %q", v)
	}
	t[k] = val
	return nil
}

// ingestBatch is how many spans go in one request.
const ingestBatch = 2000

func ingest(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ingest", "[-addr URL -key KEY | -db PATH [-ns NS]] [-tag k=v] FILE...", stderr)
	t := client.Target{Create: true}
	t.Flags(fs)
	tags := tagFlags{}
	fs.Var(tags, "tag", "tag `k=v` for every span read, such as service=api or version=1.2 (repeatable)")
	if code := parse(fs, args, 1, -1); code >= 0 {
		return code
	}
	ctx := context.Background()
	c, release, code := openTarget(ctx, "ingest", &t, stderr)
	if code >= 0 {
		return code
	}
	defer release()
	status := 0
	for _, name := range fs.Args() {
		r, err := ingestFile(ctx, c, name, tags, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "spantree ingest: %v\n", err)
			status = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: %d spans ingested, %d lines skipped\n", name, r.spans, r.skipped)
	}
	return status
}

type ingestResult struct{ spans, skipped int }

// ingestFile reads the spans of a json sink's file or a container log (see
// [wire.Lines]: prefixes, Docker's json-file wrapping and torn lines are
// handled there). Spans are sent by their ids, so ingesting a file twice
// stores nothing twice.
func ingestFile(ctx context.Context, c *client.Client, name string, tags map[string]string, stderr io.Writer) (ingestResult, error) {
	var res ingestResult
	var in io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return res, err
		}
		defer f.Close()
		in = f
	}
	// Lines carry their process's tags (the json sink's "tags"); -tag
	// values override them. Spans go in one batch per set of tags.
	batches := map[string]*spantree.Batch{}
	send := func(b *spantree.Batch) error {
		if len(b.Spans) == 0 {
			return nil
		}
		n, err := c.Ingest(ctx, *b)
		if err != nil {
			return fmt.Errorf("%s: send: %w", name, err)
		}
		res.spans += n
		b.Spans = b.Spans[:0]
		return nil
	}
	lines := wire.NewLines(in)
	warned := 0
	for lines.Scan() {
		var d spantree.SpanData
		lineTags, err := lines.Span(&d)
		if err != nil {
			res.skipped++
			if err != wire.ErrNotSpan && warned < 3 {
				warned++
				fmt.Fprintf(stderr, "spantree ingest: %s: skipped: %v\n", name, err)
			}
			continue
		}
		merged := tags
		if len(lineTags) > 0 {
			merged = maps.Clone(lineTags)
			maps.Copy(merged, tags)
		}
		key := tagKey(merged)
		b := batches[key]
		if b == nil {
			b = &spantree.Batch{Tags: merged}
			batches[key] = b
		}
		b.Spans = append(b.Spans, d)
		if len(b.Spans) == ingestBatch {
			if err := send(b); err != nil {
				return res, err
			}
		}
	}
	if err := lines.Err(); err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	for _, k := range slices.Sorted(maps.Keys(batches)) {
		if err := send(batches[k]); err != nil {
			return res, err
		}
	}
	return res, nil
}

// tagKey is a canonical form of tags, to group spans by them.
func tagKey(tags map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fmt.Fprintf(&b, "%q=%q,", k, tags[k])
	}
	return b.String()
}
