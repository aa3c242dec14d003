//go:build !race

package main

// raceEnabled tells that the tests run with -race: the service binary is
// then built with it too.
const raceEnabled = false
