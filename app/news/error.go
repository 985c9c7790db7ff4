package news

import (
	"errors"
	"fmt"
)

// Error codes of the domain, as sent in the JSON error body; the server
// adds the codes of HTTP alone (a wrong method, a body too large, a rate
// limit).
const (
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	EUnavailable  = "unavailable"
	EInternal     = "internal"
)

// Error is an error meant for the client: a code, a human message and,
// for validation, the offending field.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EInvalid error about one field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrOutcomeUnknown marks the error of a write whose outcome is unknown:
// the store lost the database while committing, so the write may or may
// not have taken effect. A caller must not retry such a write blindly (a
// retried addition could count twice); errors.Is finds it under the
// error's *Error, which still says what the client is told.
// (A value of a type of its own, not errors.New: the widget's wasm carries
// this package, and a package variable set by a call costs it start-up
// code for an error it never sees.)
var ErrOutcomeUnknown error = outcomeUnknown{}

type outcomeUnknown struct{}

func (outcomeUnknown) Error() string {
	return "the outcome of the write is unknown: it may have been committed"
}

// ErrorCode returns the code of err if it is or wraps an *Error, else EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}
