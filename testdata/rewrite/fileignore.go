//spangen:ignore

// Package fileignore is skipped as a whole file by the directive above.
package fileignore

import "fmt"

func Skipped() { fmt.Println("left alone") }
