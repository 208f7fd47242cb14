package paddle

import (
	"time"

	"github.com/heldsway/heldsway/connectors/hmacsig"
)

// SignatureHeader is the header Paddle signs notifications with.
const SignatureHeader = "Paddle-Signature"

// signature is Paddle's scheme: "ts=<unix>;h1=<hex>[;h1=<hex>...]", each h1
// the HMAC-SHA256 of ts+":"+body. h1 values that are not 32 hex bytes are
// skipped (Paddle's SDK tests send "h1=dummy" beside a real one); a header
// without ts or without a usable h1 is malformed. Staleness is reported
// only for an authentic request.
var signature = hmacsig.Scheme{
	Header:     SignatureHeader,
	Sep:        ";",
	TimeKey:    "ts",
	TimeName:   "ts",
	SigKey:     "h1",
	PayloadSep: ':',
}

// Sign returns a Paddle-Signature header value for body signed with secret
// at t, as Paddle computes it. It is for tests and local tooling.
func Sign(secret string, t time.Time, body []byte) string {
	return signature.Sign(secret, t, body)
}
