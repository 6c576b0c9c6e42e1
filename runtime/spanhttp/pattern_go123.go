//go:build go1.23

package spanhttp

import "net/http"

// pattern is the ServeMux pattern that matched r (Go 1.23 and later).
func pattern(r *http.Request) string { return r.Pattern }
