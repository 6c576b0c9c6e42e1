package server_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/server"
)

// TestRoutes sends each route of server.Routes a request with a key and
// checks that its handler answers it (not the catch-all "no such endpoint",
// not 405), and that a path off the list gets the catch-all.
func TestRoutes(t *testing.T) {
	e := newEnv(t, server.Options{P99Refresh: -1})
	// Path parameters get well-formed values that name nothing.
	params := strings.NewReplacer("{id}", "0123456789abcdef0123456789abcdef", "{fingerprint}", "0000000000000000")
	bodies := map[string]string{
		"POST /v1/spans":               `{"spans":[]}`,
		"POST /v1/traces":              `{}`,
		"PUT /v1/errors/{fingerprint}": `{"kind":"crash","severity":"ok"}`,
	}
	for _, rt := range server.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		var hdr []string
		if method == "POST" {
			hdr = []string{"Content-Type", "application/json"}
		}
		status, body := e.do(method, params.Replace(path), e.key, []byte(bodies[rt]), hdr...)
		if status == 405 || strings.Contains(body, "no such endpoint") {
			t.Errorf("%s = %d %s; want its handler's answer", rt, status, body)
		}
	}
	if status, body := e.do("GET", "/v1/nothing", e.key, nil); status != 404 || !strings.Contains(body, "no such endpoint") {
		t.Errorf("GET /v1/nothing = %d %s; want 404 no such endpoint", status, body)
	}
}

// docRoute matches an endpoint line of the architecture document's HTTP API
// block: "GET  /v1/traces/{id}   ...".
var docRoute = regexp.MustCompile(`^(GET|POST|PUT|DELETE|PATCH) +(/\S*)`)

// TestRoutesDocumented checks the HTTP API section of docs/architecture.md
// against server.Routes: the same endpoints, in the same order.
func TestRoutesDocumented(t *testing.T) {
	f, err := os.Open("../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var documented []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			in = strings.Contains(line, "HTTP API")
		case in:
			if m := docRoute.FindStringSubmatch(line); m != nil {
				documented = append(documented, m[1]+" "+m[2])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(server.Routes(), documented); diff != "" {
		t.Errorf("docs/architecture.md's HTTP API against server.Routes (-want +got):\n%s", diff)
	}
}
