//go:build race

package fleet_test

// raceEnabled: the race detector slows everything several times; the
// performance test then reports its figures without holding them to the
// issue's bounds.
const raceEnabled = true
