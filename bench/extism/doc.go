// Package extismbench compares a typed plugin call through Bindery with
// the same call through Extism's Go SDK, in one `go test -bench` run (see
// README.md). It is its own module so that the root module never depends
// on Extism; the package has no API, only tests and the two guests
// (guest-bindery, guest-extism) they build.
package extismbench
