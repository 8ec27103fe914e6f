package media

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Error codes. Each maps to exactly one HTTP status in api/errors.go; the
// worker uses them to tell a permanent failure (bad input) from a transient
// one (storage down) so it knows whether to retry.
const (
	EINVALID     = "invalid"           // the request or the input is malformed
	EUNSUPPORTED = "unsupported_media" // not a container/codec we accept
	ETOOLARGE    = "too_large"         // over a configured size, pixel or duration limit
	ENOTFOUND    = "not_found"
	ECONFLICT    = "conflict"     // the resource is not in a state that allows this
	EGONE        = "expired"      // existed once, no longer usable
	ERATELIMIT   = "rate_limited" // too many requests
	ENOSPACE     = "insufficient_storage"
	EUNAVAILABLE = "unavailable" // a dependency (store, database) is down; retry later
	EINTERNAL    = "internal"
)

// Error codes of the discussion around a video (comments, reactions); all
// are refusals of who asked, not of what was sent.
const (
	ENOTALLOWED   = "not_allowed"        // not their comment, not the video's owner
	ECOMMENTSOFF  = "comments_disabled"  // the video's owner turned comments off
	EGUESTSOFF    = "guests_not_allowed" // the video's owner allows no guest comments
	EREACTIONSOFF = "reactions_disabled" // the video's owner turned reactions off
)

// Error codes of who is asking (see auth.go and sharing.go).
const (
	EUNAUTHORIZED     = "unauthorized"      // not signed in, or a bad credential
	EPASSWORDREQUIRED = "password_required" // the video's password must be given first
)

// Error is a domain error: a code for programs and a message that is safe to
// show a person. Any error that is not an *Error is internal and its text is
// never shown outside the process.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, kept for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error with a user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns a domain error that keeps cause for the logs.
func WrapError(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// EINTERNAL. A nil error has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err, or a generic one.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsPermanent reports whether retrying the work that produced err cannot help:
// the input itself was refused.
func IsPermanent(err error) bool {
	switch ErrorCode(err) {
	case EINVALID, EUNSUPPORTED, ETOOLARGE, ENOTFOUND, EGONE:
		return true
	}
	return false
}

// IsNoSpace reports whether err means a disk (or a quota) is full: ENOSPC
// or EDQUOT anywhere in its chain, an ENOSPACE domain error, or, for errors
// that reached us only as text (tusd answers with the error's message), the
// kernel's wording of ENOSPC.
func IsNoSpace(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || ErrorCode(err) == ENOSPACE ||
		strings.Contains(err.Error(), syscall.ENOSPC.Error())
}
