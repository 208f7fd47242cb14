// Package world generates HeldSway's benchmark traffic and knows the truth
// about it.
//
// A World is a seeded synthetic affiliate program: podcast partners whose
// codes are used without clicks, link partners whose codes require a
// click, coupon sites, and the codes, customers and sessions around them:
// clicks days before a redemption, cross-channel journeys (a link click,
// then a podcast code, then a coupon-site click after the code was
// applied), bot clicks, subscriptions and renewals, full and partial
// refunds, redelivered webhooks; and fraud injected at known rates with
// a label on every case: coupon stuffing (a click-required code redeemed
// by a customer who never clicked its partner), browser-extension click
// injection (a click seconds before checkout) and codes leaking to
// aggregator sites (a sudden burst of redemptions). Some partners' codes
// are restricted (restrict): one in twenty link partners left the program
// (its code inactive, half its clicks without a code), one in twenty has
// a code expiring mid-span, one in twenty coupon sites is paused; half the
// subscriptions renew without the code.
//
// Generator.Next returns the events in event-time order, lazily, so a run
// of millions of events needs memory only for the sessions in flight.
// The same Config always yields the same events.
//
// Oracle computes, from the generator's ground truth alone (it does not
// call package attribution), the expected attribution of every order
// under coupon_priority, click_priority, last_touch and first_touch, its
// commission (basis points of net = subtotal - discount, rounded half to
// even; a click credit earns its link code's rule) and the expected
// refund reversal, and compares them with the pipeline's outputs. Clicks
// through a restricted code's link, and of a partner that left, never
// qualify; a restricted code on an order does not validate; a renewal
// without a code is credited to whoever earned its subscription's first
// payment (method subscription). Fraud labels come from the generator.
package world
