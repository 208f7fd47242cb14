package stripe

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
	ErrNotFound = errors.New("stripe: not found")
	// ErrTemporary wraps failures that may pass on retry (API down, rate
	// limited, timeout). Parse returns it, not webhook.ErrPayload, so the
	// endpoint can answer 503 and Stripe redelivers.
	ErrTemporary = fmt.Errorf("stripe: %w", webhook.ErrTemporary)
)

// IsTemporary reports whether err may pass on retry.
func IsTemporary(err error) bool { return errors.Is(err, ErrTemporary) }

// PromotionCodes resolves a promotion code id (promo_...) of a store to the
// code string customers type. It returns an error wrapping ErrNotFound when
// the id is unknown to the source, ErrTemporary when it could not tell.
type PromotionCodes interface {
	Code(ctx context.Context, storeID, promoID string) (string, error)
}

// InvoiceDiscounts expands an invoice's discounts: it maps each discount id
// (di_...) of the invoice to its promotion code id, "" for a discount from a
// coupon without a promotion code. Webhooks carry invoice discounts as bare
// ids, so this is how an invoice's codes are found.
type InvoiceDiscounts interface {
	InvoiceDiscounts(ctx context.Context, storeID, invoiceID string) (map[string]string, error)
}

// promotionKind is what PromotionCodes resolve, for coderesolve.
var promotionKind = coderesolve.Kind{Noun: "promotion code", NotFound: ErrNotFound, Temporary: ErrTemporary}

// Chain asks each source in turn; the first that knows the id wins. If none
// knows it the error wraps ErrNotFound, unless a source failed otherwise, in
// which case the error wraps ErrTemporary (the id may exist in the source
// that could not answer).
type Chain []PromotionCodes

var _ PromotionCodes = Chain(nil)

// Code implements PromotionCodes.
func (c Chain) Code(ctx context.Context, storeID, promoID string) (string, error) {
	return coderesolve.First(ctx, promotionKind, c, storeID, promoID)
}

// StaticCodes is a fixed map of promo id to code for every store, for tests
// and for seeding a Chain from configuration.
type StaticCodes map[string]string

// Code implements PromotionCodes.
func (s StaticCodes) Code(_ context.Context, _, promoID string) (string, error) {
	return promotionKind.Lookup(s, promoID)
}
