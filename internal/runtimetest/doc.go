// Package runtimetest tests the runtime through its exported API, the way
// generated code calls it. It lives in the root module so that the runtime
// module itself needs nothing but the standard library (docs/architecture.md).
package runtimetest
