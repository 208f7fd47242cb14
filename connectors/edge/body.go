package edge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrBodyTooLarge is returned by ReadBody for a body over the limit.
var ErrBodyTooLarge = errors.New("edge: request body too large")

// ReadBody reads the whole body up to max bytes. On error it has already
// answered the request (413 or 400) and returns the error.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes exceeds the %d byte limit", r.ContentLength, max))
		return nil, ErrBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		WriteError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return nil, fmt.Errorf("edge: reading body: %w", err)
	}
	if int64(len(b)) > max {
		WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds the %d byte limit", max))
		return nil, ErrBodyTooLarge
	}
	return b, nil
}
