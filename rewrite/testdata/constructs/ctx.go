// Functions that look at their context.Context parameter itself: compare
// it with nil or another context, or assert its dynamic type. The span's
// context put in its place would change the answer, so ctx stays the
// caller's there; elsewhere it carries the span.
package constructs

import (
	"context"
	"fmt"
)

// Ctx is a context type of the program's own.
type Ctx struct{ context.Context }

// Kind tells what ctx is, as libraries do before they default it.
func Kind(ctx context.Context) string {
	if ctx == nil {
		return "nil"
	}
	if ctx.Err() != nil {
		return "done"
	}
	switch ctx.(type) {
	case Ctx:
		return "Ctx"
	}
	return "other"
}

// Own reports whether ctx is a Ctx, from a literal.
func Own(ctx context.Context) bool {
	check := func() bool {
		_, ok := ctx.(Ctx)
		return ok
	}
	fmt.Sprint(ctx.Err())
	return check()
}

// Pass hands ctx on: it carries the span.
func Pass(ctx context.Context) string {
	return fmt.Sprint(Kind(ctx))
}
