package stripe

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The JSON shapes below hold only the fields HeldSway maps. Field layouts
// follow API version 2026-08-26.dahlia; older fields still read are marked
// legacy.

// event is the webhook envelope.
type event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Account string `json:"account"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// ref is an expandable field: an id string, an object with an id, or null.
type ref struct{ ID string }

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		r.ID = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &r.ID)
	case len(b) > 0 && b[0] == '{':
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		r.ID = o.ID
		return nil
	}
	return errors.New("expandable field is neither an id nor an object")
}

// promoRef is an expandable promotion_code: the id, or the object with its
// code.
type promoRef struct {
	ID   string
	Code string
}

func (r *promoRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		r.ID, r.Code = o.ID, o.Code
		return nil
	}
	var id ref
	if err := id.UnmarshalJSON(b); err != nil {
		return err
	}
	r.ID, r.Code = id.ID, ""
	return nil
}

// discountRef is an expandable discount: a bare id (di_...), or the
// discount object with its promotion code.
type discountRef struct {
	ID            string
	Expanded      bool
	PromotionCode promoRef
}

func (r *discountRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			ID            string   `json:"id"`
			PromotionCode promoRef `json:"promotion_code"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*r = discountRef{ID: o.ID, Expanded: true, PromotionCode: o.PromotionCode}
		return nil
	}
	var id ref
	if err := id.UnmarshalJSON(b); err != nil {
		return err
	}
	*r = discountRef{ID: id.ID}
	return nil
}

type checkoutSession struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Mode              string            `json:"mode"`
	PaymentStatus     string            `json:"payment_status"`
	Created           int64             `json:"created"`
	Currency          *string           `json:"currency"`
	AmountSubtotal    *int64            `json:"amount_subtotal"`
	AmountTotal       *int64            `json:"amount_total"`
	ClientReferenceID *string           `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Customer          ref               `json:"customer"`
	CustomerEmail     *string           `json:"customer_email"`
	CustomerDetails   *struct {
		Email *string `json:"email"`
	} `json:"customer_details"`
	PaymentIntent ref `json:"payment_intent"`
	TotalDetails  *struct {
		AmountDiscount *int64 `json:"amount_discount"`
		AmountShipping *int64 `json:"amount_shipping"`
		AmountTax      *int64 `json:"amount_tax"`
		Breakdown      *struct {
			Discounts []struct {
				Amount   int64       `json:"amount"`
				Discount discountRef `json:"discount"`
			} `json:"discounts"`
		} `json:"breakdown"`
	} `json:"total_details"`
	Discounts []struct {
		PromotionCode promoRef `json:"promotion_code"`
	} `json:"discounts"`
}

type invoice struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	BillingReason     string            `json:"billing_reason"`
	Status            string            `json:"status"`
	Created           int64             `json:"created"`
	Currency          string            `json:"currency"`
	Customer          ref               `json:"customer"`
	CustomerEmail     *string           `json:"customer_email"`
	Subtotal          *int64            `json:"subtotal"`
	Total             *int64            `json:"total"`
	TotalExcludingTax *int64            `json:"total_excluding_tax"`
	Tax               *int64            `json:"tax"` // legacy
	AmountShipping    int64             `json:"amount_shipping"`
	Metadata          map[string]string `json:"metadata"`
	Discounts         []discountRef     `json:"discounts"`
	TotalDiscounts    []struct {
		Amount   int64       `json:"amount"`
		Discount discountRef `json:"discount"`
	} `json:"total_discount_amounts"`
	Subscription        ref `json:"subscription"` // legacy
	SubscriptionDetails *struct {
		Metadata map[string]string `json:"metadata"`
	} `json:"subscription_details"` // legacy
	Parent *struct {
		SubscriptionDetails *struct {
			Subscription ref               `json:"subscription"`
			Metadata     map[string]string `json:"metadata"`
		} `json:"subscription_details"`
	} `json:"parent"`
}

type refund struct {
	ID            string  `json:"id"`
	Object        string  `json:"object"`
	Amount        int64   `json:"amount"`
	Currency      string  `json:"currency"`
	Charge        ref     `json:"charge"`
	PaymentIntent ref     `json:"payment_intent"`
	Status        string  `json:"status"`
	Reason        *string `json:"reason"`
	Created       int64   `json:"created"`
}

type charge struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	Amount         int64  `json:"amount"`
	AmountCaptured int64  `json:"amount_captured"`
	Currency       string `json:"currency"`
	PaymentIntent  ref    `json:"payment_intent"`
	Invoice        ref    `json:"invoice"` // legacy
	Refunds        *struct {
		Data []refund `json:"data"`
	} `json:"refunds"`
}
