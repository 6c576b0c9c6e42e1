// Skips: init, compiler directives, //spangen:ignore, tiny functions and the
// methods fmt and sort call in loops.
package skips

import (
	"fmt"
	"log"
	"os"
	_ "unsafe"
)

func init() {
	fmt.Println("init")
}

//go:nosplit
func nosplit() int {
	fmt.Println("x")
	return 1
}

//go:linkname pushed
func pushed() { fmt.Println("pushed") }

//spangen:ignore
func ignored() {
	go func() { fmt.Println("inside an ignored function") }()
}

type T int

func (t T) String() string { return fmt.Sprint(int(t)) }

func (t T) Double() T { return t * 2 }

//spangen:nofold
func (t T) Hot() T { return t + 1 }

//spangen:name skips.Renamed
func tiny() int { return 1 }

func asm(x int) int

func exits(code int) {
	if code > 1 {
		log.Fatalf("code %d", code)
	}
	fmt.Println("exiting")
	os.Exit(code)
}
