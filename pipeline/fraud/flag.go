package fraud

import (
	"fmt"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Flag types, as in schemas.Flag.Type.
const (
	TypeCodeWithoutClick = "code_without_click"
	TypeClickInjection   = "click_injection"
	TypeCodeLeak         = "code_leak"
)

// Severities, as in schemas.Flag.Severity.
const (
	SeverityReview = "review"
	SeverityReject = "reject"
)

// ValidSeverity reports whether s is review or reject.
func ValidSeverity(s string) bool { return s == SeverityReview || s == SeverityReject }

// OrderRef names the order a flag is about.
type OrderRef struct {
	OrderID    string
	Platform   string
	StoreID    string
	OccurredAt time.Time
}

// OrderFlagID is the deterministic event id of a flag of type typ about an
// order: the same order and type always give the same id, whatever the
// attribution version.
func OrderFlagID(o OrderRef, typ string) string {
	return schemas.ID(o.Platform, o.StoreID, o.OrderID, "flag", typ)
}

func orderFlag(o OrderRef, typ, severity string, code, affiliate *string, ev map[string]string, now time.Time) schemas.Flag {
	return schemas.Flag{
		EventID:     OrderFlagID(o, typ),
		Type:        typ,
		Severity:    severity,
		OrderID:     ptr(o.OrderID),
		Platform:    ptr(o.Platform),
		StoreID:     ptr(o.StoreID),
		Code:        code,
		AffiliateID: affiliate,
		Evidence:    ev,
		OccurredAt:  o.OccurredAt,
		DetectedAt:  now,
	}
}

func ptr[T any](v T) *T { return &v }

func itoa(v int64) string { return fmt.Sprintf("%d", v) }
