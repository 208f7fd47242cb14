package attribution

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Customer values written before the hot/cold split: JSON (the first
// versions) or binary format 0x02, each holding decided orders whole. They
// are decoded into today's Customer, their decided orders' snapshots
// marked to be written apart on the next store (see Customer.FlushSnapshots),
// so an upgrade keeps every customer without a rebuild.

type legacyClick struct {
	EventID     string    `json:"e"`
	ClickID     string    `json:"i"`
	AffiliateID string    `json:"a,omitempty"`
	Code        string    `json:"c,omitempty"`
	At          time.Time `json:"t"`
	Bot         bool      `json:"b,omitempty"`
	PageType    string    `json:"p,omitempty"`
	NotAllowed  bool      `json:"n,omitempty"`
	Seen        time.Time `json:"s,omitempty"`
}

type legacyPastOrder struct {
	Key string    `json:"k"`
	At  time.Time `json:"t"`
}

type legacyDecided struct {
	Order     schemas.Order  `json:"o"`
	Codes     []schemas.Code `json:"c,omitempty"`
	Facts     Facts          `json:"f"`
	Version   int32          `json:"v"`
	DecidedAt time.Time      `json:"d"`
	Digest    string         `json:"g"`
}

type legacyCustomer struct {
	Clicks            []legacyClick       `json:"c,omitempty"`
	Orders            []legacyPastOrder   `json:"o,omitempty"`
	OrdersSeen        int64               `json:"n,omitempty"`
	Redeemed          []string            `json:"r,omitempty"`
	Recent            []legacyDecided     `json:"d,omitempty"`
	Seen              []string            `json:"s,omitempty"`
	Subscriptions     []SubscriptionStart `json:"u,omitempty"`
	ForgotClicksUntil time.Time           `json:"f,omitempty"`
}

// decodeLegacy decodes a JSON or format-0x02 customer value.
func decodeLegacy(data []byte) (Customer, error) {
	var l legacyCustomer
	if len(data) > 0 && data[0] == formatJSON {
		if err := json.Unmarshal(data, &l); err != nil {
			return Customer{}, err
		}
	} else if err := l.decode(data); err != nil {
		return Customer{}, err
	}
	switch {
	case len(l.Clicks) > MaxClicks, len(l.Orders) > MaxOrders, len(l.Recent) > MaxRecent, len(l.Seen) > MaxSeen:
		return Customer{}, fmt.Errorf("customer over its bounds")
	}
	c := Customer{
		OrdersSeen:        l.OrdersSeen,
		Redeemed:          l.Redeemed,
		Subscriptions:     l.Subscriptions,
		ForgotClicksUntil: l.ForgotClicksUntil,
	}
	for _, x := range l.Clicks {
		c.Clicks = append(c.Clicks, ClickTouch{ClickID: x.ClickID, AffiliateID: x.AffiliateID, Code: x.Code,
			At: x.At, Bot: x.Bot, PageType: x.PageType, NotAllowed: x.NotAllowed, Seen: x.Seen})
	}
	for _, o := range l.Orders {
		c.Orders = append(c.Orders, PastOrder{Key: KeyHash(o.Key), At: o.At})
	}
	for _, id := range l.Seen {
		c.Seen = append(c.Seen, KeyHash(id))
	}
	for _, r := range l.Recent {
		if r.Version < 1 || len(r.Codes) > maxDecidedCodes || len(r.Facts.Redeemed) > maxDecidedCodes {
			return Customer{}, fmt.Errorf("decided order version %d, %d codes", r.Version, len(r.Codes))
		}
		o := r.Order
		c.Recent = append(c.Recent, Decided{
			Key:        KeyHash(OrderKey(o.Platform, o.StoreID, o.OrderID)),
			OccurredAt: o.OccurredAt.UTC(),
			Version:    r.Version,
			DecidedAt:  r.DecidedAt,
			Digest:     KeyHash(r.Digest),
			Content:    contentHash(o),
			snap:       &Snapshot{Order: o, Codes: r.Codes, Facts: r.Facts},
			dirty:      true,
		})
	}
	return c, nil
}

// decode reads format 0x02.
func (c *legacyCustomer) decode(data []byte) error {
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatBinary {
		return fmt.Errorf("unknown format byte %#x", f)
	}
	if n := d.count(MaxClicks); n > 0 {
		c.Clicks = make([]legacyClick, n)
		for i := range c.Clicks {
			t := &c.Clicks[i]
			t.EventID = d.str()
			t.ClickID = d.str()
			t.AffiliateID = d.str()
			t.Code = d.str()
			t.At = d.time()
			t.Bot = d.boolean()
			t.PageType = d.str()
			t.NotAllowed = d.boolean()
			t.Seen = d.time()
		}
	}
	if n := d.count(MaxOrders); n > 0 {
		c.Orders = make([]legacyPastOrder, n)
		for i := range c.Orders {
			c.Orders[i] = legacyPastOrder{Key: d.str(), At: d.time()}
		}
	}
	c.OrdersSeen = d.varint()
	c.Redeemed = d.strs(MaxRedeemed)
	if n := d.count(MaxRecent); n > 0 {
		c.Recent = make([]legacyDecided, n)
		for i := range c.Recent {
			r := &c.Recent[i]
			d.record(&r.Order)
			if m := d.count(maxDecidedCodes); m > 0 {
				r.Codes = make([]schemas.Code, m)
				for j := range r.Codes {
					d.record(&r.Codes[j])
				}
			}
			r.Facts.PriorOrder = d.boolean()
			r.Facts.Redeemed = d.strs(maxDecidedCodes)
			v := d.varint()
			if d.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
				d.fail(fmt.Errorf("decided version %d", v))
			}
			r.Version = int32(v)
			r.DecidedAt = d.time()
			r.Digest = d.str()
		}
	}
	c.Seen = d.strs(MaxSeen)
	// A value written before subscriptions were kept ends here.
	if d.err == nil && len(d.b) > 0 {
		if n := d.count(MaxSubscriptions); n > 0 {
			c.Subscriptions = make([]SubscriptionStart, n)
			for i := range c.Subscriptions {
				c.Subscriptions[i] = SubscriptionStart{ID: d.str(), Start: d.time()}
			}
		}
	}
	if d.err == nil && len(d.b) > 0 {
		if c.ForgotClicksUntil = d.time(); d.err == nil && c.ForgotClicksUntil.IsZero() {
			d.fail(fmt.Errorf("a zero forgotten-clicks time is written as nothing"))
		}
	}
	return d.end()
}
