// Package conversion is the conversion API for custom checkouts:
// POST /v1/conversions reports an order and POST /v1/refunds a refund, as
// JSON with amounts in integer minor units, behind a bearer token.
//
// Every request is validated in full before anything is published; the
// answer is 202 only once Kafka acknowledged the event. Event ids are
// derived from the store and order (or refund) id, so a client retrying a
// request it is unsure about produces the same event, which downstream
// stages drop as a duplicate. An order id posted again with different
// money, currency, codes or customer is answered 409 naming the fields,
// while the process remembers the order (Handlers.AcceptedOrders); past
// that memory the processor treats it as an order update.
//
// The package reads the payload into a checkout.Checkout; checkout.Build
// assembles and checks the schemas.Order, and every event id comes from
// checkout.EventID, the one recipe: schemas.ID("api", store, order id,
// "conversion") for an order, schemas.ID("api", store, "refund", refund
// id) for a refund.
package conversion
