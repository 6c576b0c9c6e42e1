// Kinds: main.main, one-line bodies, comments that stay in place.
package main

import "fmt"

func main() { // the program
	// say hello
	fmt.Println(greet("world")) // to stdout
}

func greet(name string) string { return fmt.Sprintf("hello, %s", name) }

func aligned() string          { return fmt.Sprint(1) }
func alignedToo() (int, error) { return fmt.Print() }
