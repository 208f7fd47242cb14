package schemas

import (
	"fmt"
	"slices"
)

// Per-record binary encoders and decoders for the current schemas. Each
// writes and reads the fields in .avsc order; the decoders rely on Go
// evaluating the calls in a composite literal left to right.

// Minimum encoded sizes of array items, to bound counts before allocating.
const (
	minAppliedCode  = 1 + 1 + 1
	minShare        = 1 + 1 + 1 + 1 + 1
	minTouch        = 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1
	minPlatformSync = 1 + 1 + 1 + 1 + 1 + 1
)

func writeClick(e *wenc, c *Click) {
	e.str(c.EventID)
	e.str(c.ClickID)
	e.str(c.VisitorID)
	e.optStr(c.Code)
	e.optStr(c.AffiliateID)
	e.optStr(c.DestinationID)
	e.optStr(c.LandingURL)
	e.optStr(c.Referrer)
	e.optStr(c.PageType)
	e.optStr(c.IPHash)
	e.optStr(c.UserAgent)
	e.boolean(c.IsBot)
	e.optStr(c.BotReason)
	e.str(c.Source)
	e.time("occurred_at", c.OccurredAt)
	e.time("received_at", c.ReceivedAt)
}

func readClick(d *wdec) Click {
	return Click{
		EventID:       d.str(),
		ClickID:       d.str(),
		VisitorID:     d.str(),
		Code:          d.optStr(),
		AffiliateID:   d.optStr(),
		DestinationID: d.optStr(),
		LandingURL:    d.optStr(),
		Referrer:      d.optStr(),
		PageType:      d.optStr(),
		IPHash:        d.optStr(),
		UserAgent:     d.optStr(),
		IsBot:         d.boolean(),
		BotReason:     d.optStr(),
		Source:        d.str(),
		OccurredAt:    d.time(),
		ReceivedAt:    d.time(),
	}
}

func writeOrder(e *wenc, o *Order) {
	e.str(o.EventID)
	e.str(o.OrderID)
	e.str(o.Platform)
	e.str(o.StoreID)
	e.str(o.SourceEvent)
	e.str(o.Currency)
	e.long(o.Subtotal)
	e.long(o.Discount)
	e.long(o.Shipping)
	e.long(o.Tax)
	e.long(o.Total)
	if e.count(len(o.Codes)) {
		for i := range o.Codes {
			ac := &o.Codes[i]
			e.str(ac.Code)
			e.long(ac.Amount)
			e.optStr(ac.RemoteID)
		}
	}
	e.end()
	cu := &o.Customer
	e.str(cu.Key)
	e.optStr(cu.VisitorID)
	e.optStr(cu.ClickID)
	e.optStr(cu.EmailHash)
	e.optStr(cu.CustomerID)
	e.optBool(cu.FirstOrder)
	if s := o.Subscription; e.null(s == nil) {
		e.str(s.ID)
		e.int(s.Cycle)
		e.optTime("subscription.started_at", s.StartedAt)
	}
	e.optStr(o.LandingURL)
	e.optTime("code_applied_at", o.CodeAppliedAt)
	e.time("occurred_at", o.OccurredAt)
	e.time("received_at", o.ReceivedAt)
}

func readOrder(d *wdec) Order {
	return Order{
		EventID:     d.str(),
		OrderID:     d.str(),
		Platform:    d.str(),
		StoreID:     d.str(),
		SourceEvent: d.str(),
		Currency:    d.str(),
		Subtotal:    d.long(),
		Discount:    d.long(),
		Shipping:    d.long(),
		Tax:         d.long(),
		Total:       d.long(),
		Codes:       readAppliedCodes(d),
		Customer: Customer{
			Key:        d.str(),
			VisitorID:  d.optStr(),
			ClickID:    d.optStr(),
			EmailHash:  d.optStr(),
			CustomerID: d.optStr(),
			FirstOrder: d.optBool(),
		},
		Subscription:  readSubscription(d),
		LandingURL:    d.optStr(),
		CodeAppliedAt: d.optTime(),
		OccurredAt:    d.time(),
		ReceivedAt:    d.time(),
	}
}

func readAppliedCodes(d *wdec) []AppliedCode {
	var out []AppliedCode
	for n := d.block(minAppliedCode); n > 0; n = d.block(minAppliedCode) {
		out = slices.Grow(out, n)
		for range n {
			out = append(out, AppliedCode{Code: d.str(), Amount: d.long(), RemoteID: d.optStr()})
		}
	}
	return out
}

func readSubscription(d *wdec) *Subscription {
	if !d.present() {
		return nil
	}
	return &Subscription{ID: d.str(), Cycle: d.int(), StartedAt: d.optTime()}
}

func writeRefund(e *wenc, f *Refund) {
	e.str(f.EventID)
	e.str(f.RefundID)
	e.str(f.OrderID)
	e.str(f.Platform)
	e.str(f.StoreID)
	e.str(f.Currency)
	e.long(f.Amount)
	e.long(f.Total)
	e.boolean(f.Full)
	e.optStr(f.Reason)
	e.optStr(f.CustomerKey)
	e.time("occurred_at", f.OccurredAt)
	e.time("received_at", f.ReceivedAt)
}

func readRefund(d *wdec) Refund {
	return Refund{
		EventID:     d.str(),
		RefundID:    d.str(),
		OrderID:     d.str(),
		Platform:    d.str(),
		StoreID:     d.str(),
		Currency:    d.str(),
		Amount:      d.long(),
		Total:       d.long(),
		Full:        d.boolean(),
		Reason:      d.optStr(),
		CustomerKey: d.optStr(),
		OccurredAt:  d.time(),
		ReceivedAt:  d.time(),
	}
}

func writeCode(e *wenc, c *Code) {
	e.str(c.EventID)
	e.str(c.Code)
	e.str(c.DisplayCode)
	e.str(c.CouponID)
	e.str(c.AffiliateID)
	e.optStr(c.AffiliateName)
	e.str(c.DiscountType)
	e.long(c.DiscountValue)
	e.optStr(c.Currency)
	e.str(c.Status)
	e.optTime("valid_from", c.ValidFrom)
	e.optTime("valid_until", c.ValidUntil)
	e.optLong(c.MaxUses)
	e.boolean(c.OncePerCustomer)
	e.optLong(c.MinOrder)
	e.boolean(c.FirstOrderOnly)
	e.strs(c.AllowedAffiliates)
	e.boolean(c.RequiresClick)
	if cr := c.Commission; e.null(cr == nil) {
		e.str(cr.Type)
		e.long(cr.Value)
		e.optStr(cr.Currency)
		e.int(cr.RecurringMonths)
	}
	if e.count(len(c.Platforms)) {
		for i := range c.Platforms {
			p := &c.Platforms[i]
			e.str(p.Platform)
			e.str(p.StoreID)
			e.optStr(p.RemoteID)
			e.str(p.Status)
			e.optStr(p.LastError)
			e.optTime("platforms.synced_at", p.SyncedAt)
		}
	}
	e.end()
	e.long(c.Version)
	e.time("updated_at", c.UpdatedAt)
}

func readCode(d *wdec) Code {
	return Code{
		EventID:           d.str(),
		Code:              d.str(),
		DisplayCode:       d.str(),
		CouponID:          d.str(),
		AffiliateID:       d.str(),
		AffiliateName:     d.optStr(),
		DiscountType:      d.str(),
		DiscountValue:     d.long(),
		Currency:          d.optStr(),
		Status:            d.str(),
		ValidFrom:         d.optTime(),
		ValidUntil:        d.optTime(),
		MaxUses:           d.optLong(),
		OncePerCustomer:   d.boolean(),
		MinOrder:          d.optLong(),
		FirstOrderOnly:    d.boolean(),
		AllowedAffiliates: d.strs(),
		RequiresClick:     d.boolean(),
		Commission:        readCommission(d),
		Platforms:         readPlatforms(d),
		Version:           d.long(),
		UpdatedAt:         d.time(),
	}
}

func readCommission(d *wdec) *CommissionRule {
	if !d.present() {
		return nil
	}
	return &CommissionRule{Type: d.str(), Value: d.long(), Currency: d.optStr(), RecurringMonths: d.int()}
}

func readPlatforms(d *wdec) []PlatformSync {
	var out []PlatformSync
	for n := d.block(minPlatformSync); n > 0; n = d.block(minPlatformSync) {
		out = slices.Grow(out, n)
		for range n {
			out = append(out, PlatformSync{
				Platform:  d.str(),
				StoreID:   d.str(),
				RemoteID:  d.optStr(),
				Status:    d.str(),
				LastError: d.optStr(),
				SyncedAt:  d.optTime(),
			})
		}
	}
	return out
}

func writeAttribution(e *wenc, a *Attribution) {
	e.str(a.EventID)
	e.str(a.OrderID)
	e.str(a.Platform)
	e.str(a.StoreID)
	e.int(a.Version)
	e.str(a.Status)
	e.str(a.Rule)
	e.str(a.Method)
	e.optStr(a.AffiliateID)
	e.optStr(a.Code)
	e.optStr(a.ClickID)
	e.str(a.CustomerKey)
	e.str(a.Currency)
	e.long(a.OrderTotal)
	e.long(a.NetAmount)
	e.long(a.Commission)
	e.strs(a.Reasons)
	if e.count(len(a.Shares)) {
		for i := range a.Shares {
			s := &a.Shares[i]
			e.str(s.AffiliateID)
			e.optStr(s.Code)
			e.optStr(s.ClickID)
			e.int(s.WeightBP)
			e.long(s.Commission)
		}
	}
	e.end()
	if e.count(len(a.Touches)) {
		for i := range a.Touches {
			t := &a.Touches[i]
			e.str(t.Kind)
			e.optStr(t.AffiliateID)
			e.optStr(t.Code)
			e.optStr(t.ClickID)
			e.time("touches.at", t.At)
			e.boolean(t.Qualified)
			e.boolean(t.Won)
			e.optStr(t.Reason)
		}
	}
	e.end()
	e.time("order_occurred_at", a.OrderOccurredAt)
	e.time("decided_at", a.DecidedAt)
}

func readAttribution(d *wdec) Attribution {
	return Attribution{
		EventID:         d.str(),
		OrderID:         d.str(),
		Platform:        d.str(),
		StoreID:         d.str(),
		Version:         d.int(),
		Status:          d.str(),
		Rule:            d.str(),
		Method:          d.str(),
		AffiliateID:     d.optStr(),
		Code:            d.optStr(),
		ClickID:         d.optStr(),
		CustomerKey:     d.str(),
		Currency:        d.str(),
		OrderTotal:      d.long(),
		NetAmount:       d.long(),
		Commission:      d.long(),
		Reasons:         d.strs(),
		Shares:          readShares(d),
		Touches:         readTouches(d),
		OrderOccurredAt: d.time(),
		DecidedAt:       d.time(),
	}
}

func readShares(d *wdec) []Share {
	var out []Share
	for n := d.block(minShare); n > 0; n = d.block(minShare) {
		out = slices.Grow(out, n)
		for range n {
			out = append(out, Share{
				AffiliateID: d.str(),
				Code:        d.optStr(),
				ClickID:     d.optStr(),
				WeightBP:    d.int(),
				Commission:  d.long(),
			})
		}
	}
	return out
}

func readTouches(d *wdec) []Touch {
	var out []Touch
	for n := d.block(minTouch); n > 0; n = d.block(minTouch) {
		out = slices.Grow(out, n)
		for range n {
			out = append(out, Touch{
				Kind:        d.str(),
				AffiliateID: d.optStr(),
				Code:        d.optStr(),
				ClickID:     d.optStr(),
				At:          d.time(),
				Qualified:   d.boolean(),
				Won:         d.boolean(),
				Reason:      d.optStr(),
			})
		}
	}
	return out
}

func writeAdjustment(e *wenc, a *Adjustment) {
	e.str(a.EventID)
	e.str(a.OrderID)
	e.str(a.Platform)
	e.str(a.StoreID)
	e.optStr(a.RefundID)
	e.str(a.AffiliateID)
	e.optStr(a.Code)
	e.long(a.Amount)
	e.str(a.Currency)
	e.str(a.Reason)
	e.int(a.AttributionVersion)
	e.time("occurred_at", a.OccurredAt)
	e.time("decided_at", a.DecidedAt)
}

func readAdjustment(d *wdec) Adjustment {
	return Adjustment{
		EventID:            d.str(),
		OrderID:            d.str(),
		Platform:           d.str(),
		StoreID:            d.str(),
		RefundID:           d.optStr(),
		AffiliateID:        d.str(),
		Code:               d.optStr(),
		Amount:             d.long(),
		Currency:           d.str(),
		Reason:             d.str(),
		AttributionVersion: d.int(),
		OccurredAt:         d.time(),
		DecidedAt:          d.time(),
	}
}

func writeFlag(e *wenc, f *Flag) {
	e.str(f.EventID)
	e.str(f.Type)
	e.str(f.Severity)
	e.optStr(f.OrderID)
	e.optStr(f.Platform)
	e.optStr(f.StoreID)
	e.optStr(f.Code)
	e.optStr(f.AffiliateID)
	// Keys in order, so equal flags encode to equal bytes.
	if e.count(len(f.Evidence)) {
		keys := make([]string, 0, len(f.Evidence))
		for k := range f.Evidence {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e.str(k)
			e.str(f.Evidence[k])
		}
	}
	e.end()
	e.time("occurred_at", f.OccurredAt)
	e.time("detected_at", f.DetectedAt)
}

func readFlag(d *wdec) Flag {
	return Flag{
		EventID:     d.str(),
		Type:        d.str(),
		Severity:    d.str(),
		OrderID:     d.optStr(),
		Platform:    d.optStr(),
		StoreID:     d.optStr(),
		Code:        d.optStr(),
		AffiliateID: d.optStr(),
		Evidence:    d.strMap(),
		OccurredAt:  d.time(),
		DetectedAt:  d.time(),
	}
}

func writeDeadLetter(e *wenc, dl *DeadLetter) {
	e.str(dl.EventID)
	e.str(dl.Source)
	e.str(dl.Stage)
	e.optInt(dl.Partition)
	e.optLong(dl.Offset)
	e.optBytes(dl.Key)
	e.bytes(dl.Value)
	e.str(dl.Reason)
	e.time("occurred_at", dl.OccurredAt)
}

func readDeadLetter(d *wdec) DeadLetter {
	return DeadLetter{
		EventID:    d.str(),
		Source:     d.str(),
		Stage:      d.str(),
		Partition:  d.optInt(),
		Offset:     d.optLong(),
		Key:        d.optBytes(),
		Value:      d.bytes(),
		Reason:     d.str(),
		OccurredAt: d.time(),
	}
}

// writeRecord appends the binary body of the record v (a record or a
// pointer to one) and returns its kind.
func writeRecord(e *wenc, v any) (kind, bool) {
	switch r := v.(type) {
	case *Click:
		if r != nil {
			writeClick(e, r)
		}
		return kClick, r != nil
	case Click:
		writeClick(e, &r)
		return kClick, true
	case *Order:
		if r != nil {
			writeOrder(e, r)
		}
		return kOrder, r != nil
	case Order:
		writeOrder(e, &r)
		return kOrder, true
	case *Refund:
		if r != nil {
			writeRefund(e, r)
		}
		return kRefund, r != nil
	case Refund:
		writeRefund(e, &r)
		return kRefund, true
	case *Code:
		if r != nil {
			writeCode(e, r)
		}
		return kCode, r != nil
	case Code:
		writeCode(e, &r)
		return kCode, true
	case *Attribution:
		if r != nil {
			writeAttribution(e, r)
		}
		return kAttribution, r != nil
	case Attribution:
		writeAttribution(e, &r)
		return kAttribution, true
	case *Adjustment:
		if r != nil {
			writeAdjustment(e, r)
		}
		return kAdjustment, r != nil
	case Adjustment:
		writeAdjustment(e, &r)
		return kAdjustment, true
	case *Flag:
		if r != nil {
			writeFlag(e, r)
		}
		return kFlag, r != nil
	case Flag:
		writeFlag(e, &r)
		return kFlag, true
	case *DeadLetter:
		if r != nil {
			writeDeadLetter(e, r)
		}
		return kDeadLetter, r != nil
	case DeadLetter:
		writeDeadLetter(e, &r)
		return kDeadLetter, true
	}
	return 0, false
}

// readRecord decodes a body of the current schema into v, a non-nil
// pointer of the matching type, leaving v untouched on error.
func readRecord(d *wdec, v any) error {
	switch r := v.(type) {
	case *Click:
		return assign(d, r, readClick(d))
	case *Order:
		return assign(d, r, readOrder(d))
	case *Refund:
		return assign(d, r, readRefund(d))
	case *Code:
		return assign(d, r, readCode(d))
	case *Attribution:
		return assign(d, r, readAttribution(d))
	case *Adjustment:
		return assign(d, r, readAdjustment(d))
	case *Flag:
		return assign(d, r, readFlag(d))
	case *DeadLetter:
		return assign(d, r, readDeadLetter(d))
	}
	return fmt.Errorf("%w: %T", ErrNotRecord, v)
}

func assign[T any](d *wdec, dst *T, v T) error {
	if err := d.done(); err != nil {
		return err
	}
	*dst = v
	return nil
}
