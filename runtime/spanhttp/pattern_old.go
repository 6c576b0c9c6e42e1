//go:build !go1.23

package spanhttp

import "net/http"

// pattern is "" before Go 1.23, whose Request has no Pattern.
func pattern(*http.Request) string { return "" }
