// Tests: TestX, subtests named as go test -run names them, benchmarks;
// TestMain is left alone.
package kinds

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func TestParse(t *testing.T) {
	t.Run("case a", func(t *testing.T) {
		t.Run("nested one", func(t *testing.T) { t.Log("x") })
	})
	for _, tc := range []string{"x"} {
		t.Run(tc, func(t *testing.T) { t.Log(tc) })
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		parse()
	}
}

func parse() { os.Getenv("X") }
