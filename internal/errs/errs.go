// Package errs defines the one error model of trawl: an error carries a Code
// that says whose fault it is and what kind of fault, and a Message that a
// caller can act on. Transports map codes to their own status values in
// exactly one place (see httpapi.statusOf).
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error. The set is small on purpose: every code has one
// HTTP status and one CLI exit behaviour.
type Code string

const (
	Invalid       Code = "invalid"        // the caller's input is wrong; the message says what to fix
	Unauthorized  Code = "unauthorized"   // no or unknown credentials
	Forbidden     Code = "forbidden"      // known caller, action not allowed
	NotFound      Code = "not_found"      // absent, or present but hidden from the caller
	Conflict      Code = "conflict"       // would violate uniqueness or a state rule
	TooLarge      Code = "too_large"      // request or entity beyond a stated limit
	RateLimited   Code = "rate_limited"   // too many requests for this key
	NotAcceptable Code = "not_acceptable" // cannot produce the media type asked for
	Unsupported   Code = "unsupported_media_type"
	Unavailable   Code = "unavailable" // a dependency is down; retry later
	Internal      Code = "internal"    // our fault; details go to the log, not the caller
)

// Codes lists every code.
var Codes = []Code{Invalid, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, RateLimited, NotAcceptable, Unsupported, Unavailable, Internal}

// Error is an error with a code and a caller-facing message.
type Error struct {
	Code    Code
	Message string
	Err     error // optional cause, for logs; never shown to callers of Internal errors
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error that keeps err as its cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for any
// other non-nil error and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the caller-facing message of err. Internal errors get a
// fixed message so that no internal detail leaks to a caller.
func MessageOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "internal error"
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
