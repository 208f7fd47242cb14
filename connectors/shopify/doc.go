// Package shopify maps Shopify webhooks (POST /webhooks/shopify) to
// canonical orders and refunds. It implements webhook.Platform; the shared
// handler reads the body, verifies, publishes and answers.
//
// # Signature
//
// X-Shopify-Hmac-Sha256 (or shopify-hmac-sha256 on newer event webhooks,
// read first) is base64(HMAC-SHA256(app secret, raw body)), compared with
// hmac.Equal. Shopify signs no timestamp, so there is no staleness check;
// redeliveries are harmless because event ids are deterministic. The
// X-Shopify-Shop-Domain header only orders the secrets tried (StoreHint).
//
// # Topics
//
// orders/create, orders/paid and orders/updated map to an Order on Topics.Orders keyed by
// the customer key; refunds/create maps to a Refund on Topics.Refunds keyed
// by "shopify/<store>/<order id>". Every other topic is ignored (202). The
// body is the bare REST Order or Refund resource.
//
// # Orders
//
//   - Paid only: orders/paid is always published. orders/create is
//     published only when financial_status is paid, partially_refunded or
//     refunded; otherwise (pending, authorized, partially_paid, ...) it is
//     ignored and the order arrives with orders/paid. An order paid at
//     creation therefore yields two events: they share OrderID, have
//     different EventIDs, and the processor credits the order once.
//   - orders/updated is published like orders/create (paid statuses only),
//     with EventID = schemas.ID("shopify", store, order id, topic,
//     updated_at); the processor revises the attribution when its money or
//     codes changed.
//   - EventID = schemas.ID("shopify", store, order id, topic): a redelivery
//     of the same webhook has the same id.
//   - Amounts are shop money, parsed exactly with money.Parse in the order's
//     currency: Subtotal = total_line_items_price (line items before any
//     discount; subtotal_price is after discounts), Discount =
//     total_discounts, Shipping = total_shipping_price_set.shop_money (sum of
//     shipping_lines[].price when absent), Tax = total_tax, Total =
//     total_price. A negative, malformed or over-precise amount, or an
//     unknown currency, is a payload error.
//   - Codes = discount_codes[], normalised with promocode.Normalize, each with
//     its amount; a repeated code is summed; a code Normalize refuses (it
//     cannot be in the registry) is left out instead of failing the order.
//   - Customer: EmailHash = Hasher.Email(email, else contact_email, else
//     customer.email), never the clear address; CustomerID = customer.id;
//     FirstOrder from customer.orders_count, which already counts this
//     order when the webhook fires: 1 is true, more is false, 0 or absent
//     (removed from the payload since API 2024-07) is unknown (nil).
//   - VisitorID / ClickID come from note_attributes heldsway_vid /
//     heldsway_cid (or _heldsway_vid / _heldsway_cid, hidden at checkout),
//     else from the hs_vid / hs_cid query parameters of landing_site. Values
//     without the shape HeldSway issues are dropped. Customer.Key =
//     identity.CustomerKey(visitor, click, email hash, "shopify/<store>/<order id>").
//   - LandingURL = landing_site (if at most 2 KiB). OccurredAt =
//     created_at (processed_at only when created_at is absent), the same for
//     both order topics, since attribution windows are measured to the
//     checkout; refused outside eventtime's window of Delivery.Now
//     (dead-lettered naming the field). ReceivedAt = Delivery.Now.
//
// # Refunds
//
//   - EventID = schemas.ID("shopify", store, "refund", refund id).
//   - Amount = sum of refund_line_items[].subtotal_set.shop_money (the
//     line's price after its discount allocations, without tax); shipping,
//     duties and order adjustments are not merchandise and are excluded. A
//     refund without line items (shipping only, or an amount typed in by
//     the merchant) has Amount 0 and reverses no commission.
//   - Total = sum of the transactions with kind refund and status success;
//     when one of them is in another currency than the shop's, the
//     shop-money sum of the refunded lines, their tax and refunded shipping.
//   - Full is false: a refund alone does not say whether it completes the
//     order; the processor knows the order and the refunds so far.
//   - Currency is the shop currency of the refund's money sets. Reason =
//     note (at most 1 KiB). OccurredAt = the refund's created_at (else
//     processed_at), within eventtime's window like an order's.
//
// The package reads the payload into a checkout.Checkout; checkout.Build
// assembles and checks the schemas.Order, and every event id comes from
// checkout.EventID, the one recipe, which keeps the ids described here.
package shopify
