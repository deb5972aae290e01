//go:build race

package httpapi

// raceDetector: the race detector slows Go code five to twenty times; the
// browser tests run again without it (make test) to hold the page budget.
const raceDetector = true
