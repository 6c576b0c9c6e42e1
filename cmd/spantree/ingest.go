package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
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
	fs := newFlags("ingest", "[-addr URL -key KEY | -db PATH] [-tag k=v] FILE...", stderr)
	var t target
	t.flags(fs)
	tags := tagFlags{}
	fs.Var(tags, "tag", "tag `k=v` for every span read, such as service=api or version=1.2 (repeatable)")
	if code := parse(fs, args, 1, -1); code >= 0 {
		return code
	}
	ctx := context.Background()
	c, release, err := t.open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "spantree ingest: %v\n", err)
		return 1
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

// ingestFile reads JSON lines from a json sink or a container log, where span
// lines are mixed with other output and may carry a prefix (a timestamp, a
// stream name) or be wrapped by Docker's json-file driver. Spans are sent by
// their ids, so ingesting a file twice stores nothing twice.
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
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	warned := 0
	for line := 1; sc.Scan(); line++ {
		var d spantree.SpanData
		lineTags, err := spanLine(sc.Bytes(), &d, "line "+strconv.Itoa(line))
		if err != nil {
			res.skipped++
			if err != errNotSpan && warned < 3 {
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
	if err := sc.Err(); err != nil {
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

var errNotSpan = fmt.Errorf("not a span")

// spanLine finds a span object in one log line, and the tags the json sink
// wrote with it.
func spanLine(line []byte, d *spantree.SpanData, where string) (map[string]string, error) {
	// Try the first few objects of the line: a prefix may hold braces.
	rest := line
	for try := 0; try < 3; try++ {
		i := bytes.Index(rest, []byte(`{"`))
		if i < 0 {
			return nil, errNotSpan
		}
		obj := bytes.TrimSpace(rest[i:])
		rest = rest[i+1:]
		if bytes.HasPrefix(obj, []byte(`{"log":`)) {
			// Docker's json-file driver: {"log":"<line>\n","stream":..,"time":..}
			var dl struct {
				Log string `json:"log"`
			}
			if json.Unmarshal(obj, &dl) == nil {
				return spanLine([]byte(dl.Log), d, where)
			}
		}
		if !bytes.Contains(obj, []byte(`"span_id"`)) {
			continue
		}
		err := server.DecodeSpan(obj, d, where)
		if err == nil {
			var t struct {
				Tags map[string]string `json:"tags"`
			}
			if bytes.Contains(obj, []byte(`"tags":`)) {
				_ = json.Unmarshal(obj, &t) // the span decoded: tags of another shape are ignored
			}
			return t.Tags, nil
		}
		if try == 2 || !bytes.Contains(rest, []byte(`{"`)) {
			return nil, err
		}
	}
	return nil, errNotSpan
}
