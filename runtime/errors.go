package spantree

import (
	"errors"
	"fmt"
	"reflect"
)

// The runtime calls methods of the program's values (Error, Is, Unwrap,
// String, MarshalJSON) on its own goroutines and on the program's, where a
// panic would take the program down for a bug it never had before it was
// instrumented: a typed nil error whose Error dereferences its receiver, a
// value method called through a nil pointer. Every such call goes through
// the helpers here, which do not call methods on nil pointers they can see
// and turn a panic inside a method into a message saying so.

// panicError is the error a span records for a panic whose value is not an
// error.
type panicError struct{ v any }

// Error formats the value as fmt does, which guards against nil receivers
// and panicking String methods itself.
func (p panicError) Error() string { return fmt.Sprint(p.v) }

// panicMessage is the message of a panic value.
func panicMessage(v any) string {
	if err, ok := v.(error); ok {
		return errorMessage(err)
	}
	return fmt.Sprint(v)
}

// typeName is the dynamic type of v as %T writes it.
func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

// errorMessage returns err.Error(), "<nil>" for a nil pointer (fmt's word
// for it), and a description when Error panics.
func errorMessage(err error) (msg string) {
	if isNilPointer(err) {
		return "<nil>"
	}
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("<%s.Error panicked: %s>", typeName(err), panicMessage(r))
		}
	}()
	return err.Error()
}

// isNilPointer reports whether v holds a nil pointer, whose methods the
// runtime must not call.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// errorIs is errors.Is that reports false when an Is or Unwrap method of
// the chain panics.
func errorIs(err, target error) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return errors.Is(err, target)
}

// errorInfo describes err for the wire.
func errorInfo(err error) ErrorInfo {
	if p, ok := err.(panicError); ok {
		return ErrorInfo{Type: typeName(p.v), Message: panicMessage(p.v)}
	}
	return ErrorInfo{Type: typeName(err), Message: errorMessage(err)}
}
