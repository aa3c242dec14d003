//go:build race

package accesscontrol_test

// raceDetector tells tests that the race detector is on: its runtime adds
// its own synchronization and slows code down about tenfold, so latency
// bounds are scaled.
const raceDetector = true
