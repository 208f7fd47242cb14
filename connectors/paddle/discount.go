package paddle

import (
	"context"
	"errors"
	"fmt"

	"github.com/heldsway/heldsway/connectors/coderesolve"
	"github.com/heldsway/heldsway/connectors/webhook"
)

var (
	// ErrNotFound means a source does not know the id asked for. A Chain
	// moves on to its next source.
	ErrNotFound = errors.New("paddle: not found")
	// ErrTemporary wraps failures that may pass on retry (API down, rate
	// limited, timeout). Parse returns it, not webhook.ErrPayload, so the
	// endpoint can answer 503 and Paddle redelivers.
	ErrTemporary = fmt.Errorf("paddle: %w", webhook.ErrTemporary)
)

// IsTemporary reports whether err may pass on retry.
func IsTemporary(err error) bool { return errors.Is(err, ErrTemporary) }

// Discounts resolves a discount id (dsc_...) of a store to its code, ""
// when the discount has no code. It returns an error wrapping ErrNotFound
// when the id is unknown to the source, ErrTemporary when it could not
// tell.
type Discounts interface {
	Code(ctx context.Context, storeID, discountID string) (string, error)
}

// discountKind is what Discounts resolve, for coderesolve.
var discountKind = coderesolve.Kind{Noun: "discount", NotFound: ErrNotFound, Temporary: ErrTemporary}

// Chain asks each source in turn; the first that knows the id wins. If none
// knows it the error wraps ErrNotFound, unless a source failed otherwise, in
// which case it wraps ErrTemporary.
type Chain []Discounts

var _ Discounts = Chain(nil)

// Code implements Discounts.
func (c Chain) Code(ctx context.Context, storeID, discountID string) (string, error) {
	return coderesolve.First(ctx, discountKind, c, storeID, discountID)
}

// StaticCodes is a fixed map of discount id to code for every store, for
// tests and for seeding a Chain from configuration.
type StaticCodes map[string]string

// Code implements Discounts.
func (s StaticCodes) Code(_ context.Context, _, discountID string) (string, error) {
	return discountKind.Lookup(s, discountID)
}
