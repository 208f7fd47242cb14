package webhook

import "fmt"

// PayloadError returns an error wrapping ErrPayload, prefixed with the
// platform's name: a correctly signed delivery whose content cannot be
// used, which the Handler dead-letters with this reason. Arguments that
// are errors may be wrapped with %w.
func PayloadError(platform, format string, args ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{ErrPayload, platform}, args...)...)
}
