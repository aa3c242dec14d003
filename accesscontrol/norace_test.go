//go:build !race

package accesscontrol_test

// raceDetector tells tests that the race detector is on.
const raceDetector = false
