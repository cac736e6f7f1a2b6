//go:build race

package server

// raceEnabled lets long randomized tests shrink under the race detector,
// which slows them about tenfold; `go test` without -race runs them whole.
const raceEnabled = true
