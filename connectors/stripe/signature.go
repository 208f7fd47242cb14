package stripe

import (
	"time"

	"github.com/heldsway/heldsway/connectors/hmacsig"
)

// SignatureHeader is the header Stripe signs deliveries with.
const SignatureHeader = "Stripe-Signature"

// signature is Stripe's scheme: "t=<unix>,v1=<hex>[,v1=<hex>...]", each v1
// the HMAC-SHA256 of t+"."+body. Unknown schemes (v0) and v1 values that
// are not hex are skipped, as Stripe's libraries do; a header without a
// timestamp or without any usable v1 is malformed. The timestamp is judged
// only for an authentic request, so a stale answer is never given to a
// forger.
var signature = hmacsig.Scheme{
	Header:     SignatureHeader,
	Sep:        ",",
	TimeKey:    "t",
	TimeName:   "timestamp",
	SigKey:     "v1",
	PayloadSep: '.',
}

// Sign returns a Stripe-Signature header value for body signed with secret
// at t, as Stripe computes it. It is for tests and local tooling.
func Sign(secret string, t time.Time, body []byte) string {
	return signature.Sign(secret, t, body)
}
