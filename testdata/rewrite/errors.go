// Errors: a returned error marks the span failed, whether the result is named
// or not; a multi-value return of a call goes through temporaries.
package errs

import (
	"errors"
	"io"
	"os"
)

func Named(name string) (n int, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return 1, nil
}

func Unnamed(name string) (io.Reader, error) {
	if name == "" {
		return nil, errors.New("no name")
	}
	return os.Open(name)
}

func Single(name string) error { return os.Remove(name) }

func Blank(name string) (_ int, _ error) {
	return Unnamed2(name)
}

func Unnamed2(name string) (int, error) {
	r, err := Unnamed(name)
	_ = r
	return len(name), err
}
