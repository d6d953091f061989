//go:build race

package host_test

// raceEnabled is true under the race detector, which makes storms slow.
const raceEnabled = true
