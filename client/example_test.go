package client_test

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spantree/spantree/client"
)

// A command takes the target flags and calls the receiver they name; here a
// database file, opened in process. Create makes the file and the namespace,
// as for spantree ingest; without it (the readers) both must exist.
func ExampleTarget() {
	dir, err := os.MkdirTemp("", "spantree-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	t := client.Target{Create: true}
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	t.Flags(fs)
	if err := fs.Parse([]string{"-db", filepath.Join(dir, "spans.db"), "-ns", "prod"}); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, release, err := t.Open(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer release()
	groups, err := c.Errors(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(groups), "error groups")
	// Output: 0 error groups
}
