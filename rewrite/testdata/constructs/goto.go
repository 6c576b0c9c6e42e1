// Gotos that jump over a return of a call of several values: the return's
// error goes through temporaries, which must not be declared where the goto
// would jump over them (the compiler refuses that).
package constructs

import (
	"errors"
	"strconv"
)

func half(x int) (int, error) {
	if x%2 != 0 {
		return 0, errors.New(strconv.Itoa(x) + " is odd")
	}
	return x / 2, nil
}

// Goto jumps over `return half(x)` to a label after it.
func Goto(x int) (int, error) {
	if x == 0 {
		goto zero
	}
	return half(x)
zero:
	return -1, nil
}

// GotoInCase jumps within a case clause.
func GotoInCase(x int) (int, error) {
	switch {
	case x < 0:
		if x == -1 {
			goto one
		}
		return half(
			-x,
		) // the call spans lines
	one:
		return 1, nil
	}
	return half(x)
}

// GotoLabeled jumps to a labeled return of a call, and over one.
func GotoLabeled(x int) (int, error) {
	if x > 10 {
		goto big
	}
	if x > 5 {
		goto bigger
	}
	return half(x)
big:
	return half(x - 10)
bigger:
	return 100, nil
}

// GotoBack jumps backwards only: the temporaries need no switch.
func GotoBack(x int) (int, error) {
again:
	if x > 100 {
		x -= 100
		goto again
	}
	return half(x)
}

// GotoToReturn jumps to a labeled return of a call: the temporaries'
// declaration takes the label, and nothing jumps over it.
func GotoToReturn(x int) (int, error) {
	if x < 0 {
		x = -x
		goto done
	}
	x *= 2
done:
	return half(x)
}
