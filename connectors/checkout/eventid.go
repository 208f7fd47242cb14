package checkout

import "github.com/heldsway/heldsway/schemas"

// EventKey is what names one order or refund event.
type EventKey struct {
	// Platform is the platform's name ("shopify"); Store the store within
	// it (shop domain, site URL, account id).
	Platform, Store string
	// OrderID is the platform's id of the order (for a refund: of the
	// order refunded).
	OrderID string
	// RefundID is set for a refund event: the platform's refund id.
	RefundID string
	// Occurrence distinguishes deliveries of one order that are each an
	// event of their own, in order (Shopify: the topic, and for
	// orders/updated also the order's updated_at). Empty when every
	// delivery of the order is the same event. Unused for refunds.
	Occurrence []string
}

// layout is how a platform lays out the parts of its event ids.
type layout struct {
	// orderFirst puts the order id right after the store, then tag, then
	// the occurrence; otherwise the parts are "order", the order id and
	// the occurrence.
	orderFirst bool
	// tag is a fixed part after the order id (orderFirst only).
	tag string
	// refundAlone leaves the order id out of a refund's id.
	refundAlone bool
}

// layouts are the platforms whose ids were laid out before EventID was
// shared, by platform name. Their ids are already stored downstream as
// idempotency keys, so they never change (TestEventIDsOfFixtures pins
// them). Every other platform, Stripe and Paddle included, uses the zero
// layout: schemas.ID(platform, store, "order", order id, occurrence...)
// and schemas.ID(platform, store, "refund", order id, refund id).
var layouts = map[string]layout{
	// Shopify: every topic of an order is its own event (the occurrence).
	"shopify": {orderFirst: true, refundAlone: true},
	// WooCommerce: every delivery of a paid order is one event.
	"woocommerce": {orderFirst: true, tag: "paid", refundAlone: true},
	// The conversion API (platform "api").
	"api": {orderFirst: true, tag: "conversion", refundAlone: true},
}

// EventID is the event id of k: a redelivery of the same event has the
// same id, and downstream keeps the first. It is the one recipe every
// order source calls; see layouts for the platforms laid out otherwise.
func EventID(k EventKey) string {
	l := layouts[k.Platform]
	if k.RefundID != "" {
		if l.refundAlone {
			return schemas.ID(k.Platform, k.Store, "refund", k.RefundID)
		}
		return schemas.ID(k.Platform, k.Store, "refund", k.OrderID, k.RefundID)
	}
	parts := make([]string, 0, 5+len(k.Occurrence))
	if l.orderFirst {
		parts = append(parts, k.Platform, k.Store, k.OrderID)
		if l.tag != "" {
			parts = append(parts, l.tag)
		}
	} else {
		parts = append(parts, k.Platform, k.Store, "order", k.OrderID)
	}
	return schemas.ID(append(parts, k.Occurrence...)...)
}
