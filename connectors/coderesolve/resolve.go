package coderesolve

import (
	"context"
	"errors"
	"fmt"
)

// Source resolves the id of a discount of a store to its code. It returns
// an error wrapping its Kind's NotFound when the id is unknown to the
// source, its Kind's Temporary when it could not tell.
type Source interface {
	Code(ctx context.Context, storeID, id string) (string, error)
}

// Kind is what a platform resolves: the noun and the sentinel errors its
// resolvers use.
type Kind struct {
	// Noun names the id in error messages: "promotion code", "discount".
	Noun string
	// NotFound means a source does not know the id. Required.
	NotFound error
	// Temporary means a lookup may pass on retry. Required.
	Temporary error
}

// First asks each non-nil source in turn; the first that knows id wins. If
// none knows it the error wraps k.NotFound, unless a source failed
// otherwise, in which case the error wraps k.Temporary (the id may exist in
// the source that could not answer): the first such failure as it is if it
// already wraps k.Temporary, else wrapped.
func First[S Source](ctx context.Context, k Kind, sources []S, storeID, id string) (string, error) {
	var failed error
	for _, src := range sources {
		if any(src) == nil {
			continue
		}
		code, err := src.Code(ctx, storeID, id)
		if err == nil {
			return code, nil
		}
		if !errors.Is(err, k.NotFound) && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		if errors.Is(failed, k.Temporary) {
			return "", failed
		}
		return "", fmt.Errorf("%w: resolving %s %s: %w", k.Temporary, k.Noun, id, failed)
	}
	return "", k.notFound(id)
}

// Lookup returns the code m holds for id, or an error wrapping k.NotFound.
// It serves fixed maps of id to code, the same for every store.
func (k Kind) Lookup(m map[string]string, id string) (string, error) {
	if c, ok := m[id]; ok {
		return c, nil
	}
	return "", k.notFound(id)
}

func (k Kind) notFound(id string) error {
	return fmt.Errorf("%w: %s %s", k.NotFound, k.Noun, id)
}
