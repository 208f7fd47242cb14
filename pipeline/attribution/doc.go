// Package attribution is the pure domain logic of HeldSway's three stream
// stages: who is credited for an order, what they earn, and how refunds
// reverse it. It does no I/O of its own: a stage loads the state struct
// it keeps in Pebble, calls a function here, stores the updated state
// (Marshal) and publishes the records returned; CodeUsage reads and writes
// stage 2's usage entries through the UsageState the stage passes (its
// transaction). Every outcome is deterministic in its
// inputs; processing time (now) is only written as DecidedAt/DetectedAt
// and bounds the grace period for late clicks. Fraud detectors live in
// package fraud.
//
// # Stages
//
// Stage 1, keyed by customer (Customer state):
//
//	a := attribution.New(program)
//	revisions := a.Click(&customer, click, lookup, now) // []Candidate
//	cand, ok := a.Order(&customer, order, lookup, now)  // Candidate
//
// Stage 2, keyed by code (CodeUsage and fraud.CodeStats state):
//
//	usage := attribution.CodeUsage{State: tx}  // the stage's transaction
//	decision, ok, err := usage.Resolve(cand)   // a candidate (a usage limit)
//	err = usage.Count(redeemed.Code)           // a redemption stage 1 published
//	if r, ok := cand.Redemption(); ok { res := stats.Observe(r, program.Defaults.Leak, now) }
//
// CodeUsage keeps per code a UsageCounter, a UsedOrder per order resolved
// and a ring of the latest MaxUsageOrders orders (usage.go); Resolve is
// ResolveUse over them. The processor and the limits scenarios run this
// same code.
//
// Stage 3, keyed by order (OrderLedger state):
//
//	adjustments, ledger := attribution.Revise(ledger, attribution, now)
//	adjustments, ledger := attribution.Reverse(ledger, refund, now)
//
// # Rules
//
// A decision is four steps, one file each: the touches (touches.go: each
// code and click judged, then listed), the credit (rules.go: a standing
// credit, else the function of the order's rule in creditRules, keyed by
// Rule), the commission (earn.go) and the fraud detectors (detect.go);
// Attributor.decide calls them in that order.
//
// A click qualifies when it is not a bot, has an affiliate (its own, else
// its code's owner), is not after the order's event time, is at most the
// window old (inclusive) and, when it carries a code, comes from the code's
// owner or an affiliate in AllowedAffiliates (an empty list means the owner
// only; otherwise affiliate_not_allowed). The order's code is the first of
// Order.Codes that passes ValidateCode; further valid codes are recorded as
// touches (not_first_valid_code), as are invalid ones (code_invalid:<why>).
// A code touch is credited to the code's owner and happens at
// Order.CodeAppliedAt, else OccurredAt.
//
//   - coupon_priority (default): the code, else the last qualifying click.
//   - click_priority: the last qualifying click, else the code.
//   - last_touch: the latest of the last click and the code; a tie goes to
//     the code.
//   - first_touch: the earliest qualifying click, else the code.
//   - split: every distinct affiliate with a qualifying touch shares
//     equally (10000/n basis points, the remainder points one each to the
//     earliest), ordered by first touch. Each affiliate earns its weight
//     of what its own rule gives; when every share has the same rule the
//     commission is computed once and divided by largest remainder
//     (SplitAmount), so the parts add up exactly.
//
// A renewal without a code of a subscription whose first payment this
// customer's state credited is credited to that payment's affiliate
// (method subscription), before any touch; with the program's
// lifetime_months, an order within that many months of the customer's
// first credited order is credited to its affiliate (method customer).
//
// Every Attribution lists its touches: the winner (Won) and the others
// with Qualified and Reason: bot, no_affiliate, after_order,
// outside_window, affiliate_not_allowed, link_code_inactive,
// link_code_paused, link_code_expired, link_code_not_yet_valid,
// affiliate_inactive, code_invalid:<why>,
// not_first_valid_code, duplicate_code, outranked_by_code,
// outranked_by_click, same_affiliate_later_click; a winner's Reason says
// why it won (code_priority, last_click, no_qualifying_click, latest_touch,
// earliest_click, split_share). Reasons carries validation, commission and
// flag outcomes (code_expired, usage_limit_reached, currency_mismatch,
// recurring_period_over, flag:click_injection, no_qualifying_touch, ...).
//
// # Settings precedence
//
// Program settings resolve field by field: code override > affiliate
// override > defaults (Program.Settings). The rule for an order is chosen
// once, by its valid code (the code's override, else its owner's), else
// the program default; both decisions of a candidate use it. A click's
// window is that of its affiliate and its code. Commission follows the
// credited affiliate: when it owns the order's code, or was credited by a
// click on a code's link it may promote, the code's registry Commission,
// else the program settings for the code; any other affiliate earns by
// its own settings (affiliate override > default). No rule at all (a
// default of 0 and no override) is the reason no_commission_rule.
//
// # Validation
//
// ValidateCode checks, in order: unknown, paused/inactive, not yet valid,
// expired (ValidUntil inclusive), once per customer, minimum order
// (Subtotal against MinOrder in the code's currency;
// min_order_currency_mismatch when the order's differs), first order only
// (Customer.FirstOrder when the platform says, else whether the customer
// state saw an earlier order). The global usage limit is stage 2's: a
// Candidate carries the decision with the code and the fallback built as
// if the code were invalid for usage_limit_reached; stage 2 picks
// (CodeUsage.Resolve, by the code's uses so far). An invalid code earns
// nothing and the order falls back to its clicks.
//
// # Commission
//
// ComputeCommission: percent is basis points of the net (Subtotal -
// Discount, never negative; no tax or shipping), rounded half to even with
// exact 128-bit arithmetic (MulDivHalfEven); fixed is per order in the
// rule's currency, 0 with currency_mismatch in another. Subscription
// payments earn while RecurringEligible (see there), else 0 with
// recurring_period_over. A payment that says neither its cycle nor its
// start (Stripe and Paddle renewals) is judged from the start stage 1
// remembers per customer and subscription id: the earliest its payments
// told, and for a subscription never seen before, this payment (so a
// renewal whose first payment the state never saw earns for the recurring
// months from its first sight, never for ever; see Attributor.Order). A
// rejected attribution earns 0.
//
// # Status and fraud
//
// approved; pending_review with a review flag; rejected with a reject flag;
// unattributed without a qualifying touch (method none). Stage 1 runs
// code_without_click when the code's owner is credited and
// click_injection on the credited click closest to checkout. Stage 2 may
// add a code_leak flag to a decision with Decision.AddFlag.
//
// # Customer state, windows and lateness
//
// Touches are kept per customer and judged by event time. On each record
// the clicks older than its event time minus the longest window in the
// program minus PruneSlack (7 days, for orders that arrive after newer
// ones: platform retries, replays) are dropped, and at most MaxClicks (50)
// clicks are kept, of which at most MaxBotClicks (10) bots. Event ids
// (MaxSeen, 64) and order keys (MaxOrders, 50) drop duplicates; an order
// delivered again under another event id keeps its first decision. A valid
// code is recorded as redeemed for once-per-customer (even when stage 2
// then refuses it for the usage limit, which stage 1 cannot see). The
// starts of at most MaxSubscriptions (20) subscriptions are kept, the least
// recently paid forgotten first.
//
// Decided orders are kept for the grace period (default 10m of processing
// time) with the registry entries and customer facts they were decided
// with. A click with an event time not after such an order's redecides it
// with everything else unchanged; when what stage 2 can pick changes, a
// candidate with Version+1 is returned. Stage 2's CodeUsage never counts a
// use twice for one order: a revision keeps the outcome of the limit check
// of the first version.
//
// # Refunds
//
// OrderLedger documents the reconciliation: reversals are computed from
// the cumulative refunds, so they never exceed the earned commission and
// the refund that completes the order takes the remainder; duplicate
// refund ids are ignored; refunds before the attribution are held; a new
// version re-bases every affiliate's reversals on the new credit.
//
// # Ids and encoding
//
// Ids are schemas.ID over natural keys: AttributionID (platform, store,
// order, "attribution", version), AdjustmentID (..., "adjustment",
// version, trigger, affiliate), and the flag ids of package fraud. State
// structs encode in a compact binary form (codec.go: a format byte,
// varints, and the Avro bodies of the schemas records they hold); the JSON
// of earlier versions still decodes. The Unmarshal functions check bounds
// and invariants and are fuzzed.
package attribution
