// Package fraud holds HeldSway's fraud detectors. Each is a pure function
// of the facts a stage already has, deterministic in event time, and
// reports a schemas.Flag (Type, Severity, Evidence) that the attribution
// status follows: a flag of severity review makes an attribution
// pending_review, one of severity reject makes it rejected.
//
// Detectors:
//
//   - DetectStuffing (code_without_click, stage 1): the code requires a
//     click and the customer has no non-bot click from the code's affiliate
//     inside the window before the order (coupon stuffing).
//   - DetectInjection (click_injection, stage 1): the credited click landed
//     less than the injection threshold (default 10s) before checkout, or
//     on a cart or checkout page.
//   - CodeStats.Observe (code_leak, stage 2): a code's redemptions in the
//     current event-time bucket jump above max(MinCount, Factor x median of
//     the previous Buckets buckets), or most of its recent redeemers (over a
//     minimum sample) never clicked its affiliate, counting only
//     redemptions whose click status is final (counted at least Settle
//     of record time ago, or corrected by a late click: CodeStats.Clicked).
//     One flag per code per
//     leak episode; an episode ends after Cooldown of event time without
//     the condition. CodeStats is the per-code state stage 2 stores
//     (Marshal/Unmarshal).
//
// Flag ids are deterministic: schemas.ID over platform, store, order id
// and type for order flags, and over the code, type and episode start for
// leak flags, so a replayed or revised decision re-emits the same id.
package fraud
