package runtimetest

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Small limits so that the tests reach them; read once at start-up.
	os.Setenv("SPANTREE_MAX_SPANS", "300")
	os.Setenv("SPANTREE_PUBLISH", "100ms")
	if os.Getenv("SPANTREE_TEST_SIGNAL") == "" { // a child of TestSignals chooses its sink
		os.Setenv("SPANTREE_SINK", "off")
	}
	os.Exit(m.Run())
}
