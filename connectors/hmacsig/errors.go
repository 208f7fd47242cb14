package hmacsig

import "errors"

// The errors every signature check wraps. connectors/webhook answers 401
// for both and tells them apart in its metrics and logs; a platform whose
// check does not use this package's helpers wraps them too.
var (
	// ErrSignature means the signature is missing, malformed or wrong.
	ErrSignature = errors.New("hmacsig: signature verification failed")
	// ErrStale means a signed timestamp is outside the tolerance window
	// (a replay, or a badly skewed clock).
	ErrStale = errors.New("hmacsig: signature timestamp outside tolerance")
)
