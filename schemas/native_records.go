package schemas

import "github.com/linkedin/goavro/v2"

// Conversions between each record type and its goavro native form, by hand:
// this is the hot path of every stage, and explicit code is both faster and
// easier to check against the .avsc than reflection. Field names here are
// the wire contract.

func clickNative(c *Click) (map[string]any, error) {
	var w natWriter
	m := map[string]any{
		"event_id":       c.EventID,
		"click_id":       c.ClickID,
		"visitor_id":     c.VisitorID,
		"code":           optString(c.Code),
		"affiliate_id":   optString(c.AffiliateID),
		"destination_id": optString(c.DestinationID),
		"landing_url":    optString(c.LandingURL),
		"referrer":       optString(c.Referrer),
		"page_type":      optString(c.PageType),
		"ip_hash":        optString(c.IPHash),
		"user_agent":     optString(c.UserAgent),
		"is_bot":         c.IsBot,
		"bot_reason":     optString(c.BotReason),
		"source":         c.Source,
		"occurred_at":    w.millis("occurred_at", c.OccurredAt),
		"received_at":    w.millis("received_at", c.ReceivedAt),
	}
	return m, w.err
}

func clickFromNative(m map[string]any, c *Click) error {
	r := natReader{rec: NameClick}
	*c = Click{
		EventID:       r.str(m, "event_id"),
		ClickID:       r.str(m, "click_id"),
		VisitorID:     r.str(m, "visitor_id"),
		Code:          r.optStr(m, "code"),
		AffiliateID:   r.optStr(m, "affiliate_id"),
		DestinationID: r.optStr(m, "destination_id"),
		LandingURL:    r.optStr(m, "landing_url"),
		Referrer:      r.optStr(m, "referrer"),
		PageType:      r.optStr(m, "page_type"),
		IPHash:        r.optStr(m, "ip_hash"),
		UserAgent:     r.optStr(m, "user_agent"),
		IsBot:         r.boolean(m, "is_bot"),
		BotReason:     r.optStr(m, "bot_reason"),
		Source:        r.str(m, "source"),
		OccurredAt:    r.time(m, "occurred_at"),
		ReceivedAt:    r.time(m, "received_at"),
	}
	return r.err
}

func orderNative(o *Order) (map[string]any, error) {
	var w natWriter
	codes := make([]any, len(o.Codes))
	for i := range o.Codes {
		ac := &o.Codes[i]
		codes[i] = map[string]any{
			"code":      ac.Code,
			"amount":    ac.Amount,
			"remote_id": optString(ac.RemoteID),
		}
	}
	var sub any
	if s := o.Subscription; s != nil {
		sub = goavro.Union(Namespace+".Subscription", map[string]any{
			"id":         s.ID,
			"cycle":      s.Cycle,
			"started_at": w.optMillis("subscription.started_at", s.StartedAt),
		})
	}
	cu := &o.Customer
	m := map[string]any{
		"event_id":     o.EventID,
		"order_id":     o.OrderID,
		"platform":     o.Platform,
		"store_id":     o.StoreID,
		"source_event": o.SourceEvent,
		"currency":     o.Currency,
		"subtotal":     o.Subtotal,
		"discount":     o.Discount,
		"shipping":     o.Shipping,
		"tax":          o.Tax,
		"total":        o.Total,
		"codes":        codes,
		"customer": map[string]any{
			"key":         cu.Key,
			"visitor_id":  optString(cu.VisitorID),
			"click_id":    optString(cu.ClickID),
			"email_hash":  optString(cu.EmailHash),
			"customer_id": optString(cu.CustomerID),
			"first_order": optBool(cu.FirstOrder),
		},
		"subscription":    sub,
		"landing_url":     optString(o.LandingURL),
		"code_applied_at": w.optMillis("code_applied_at", o.CodeAppliedAt),
		"occurred_at":     w.millis("occurred_at", o.OccurredAt),
		"received_at":     w.millis("received_at", o.ReceivedAt),
	}
	return m, w.err
}

func orderFromNative(m map[string]any, o *Order) error {
	r := natReader{rec: NameOrder}
	*o = Order{
		EventID:       r.str(m, "event_id"),
		OrderID:       r.str(m, "order_id"),
		Platform:      r.str(m, "platform"),
		StoreID:       r.str(m, "store_id"),
		SourceEvent:   r.str(m, "source_event"),
		Currency:      r.str(m, "currency"),
		Subtotal:      r.long(m, "subtotal"),
		Discount:      r.long(m, "discount"),
		Shipping:      r.long(m, "shipping"),
		Tax:           r.long(m, "tax"),
		Total:         r.long(m, "total"),
		LandingURL:    r.optStr(m, "landing_url"),
		CodeAppliedAt: r.optTime(m, "code_applied_at"),
		OccurredAt:    r.time(m, "occurred_at"),
		ReceivedAt:    r.time(m, "received_at"),
	}
	if codes := r.array(m, "codes"); len(codes) > 0 {
		o.Codes = make([]AppliedCode, len(codes))
		for i, x := range codes {
			cm := r.item("codes", x)
			o.Codes[i] = AppliedCode{
				Code:     r.str(cm, "code"),
				Amount:   r.long(cm, "amount"),
				RemoteID: r.optStr(cm, "remote_id"),
			}
		}
	}
	if cm := r.record(m, "customer"); cm != nil {
		o.Customer = Customer{
			Key:        r.str(cm, "key"),
			VisitorID:  r.optStr(cm, "visitor_id"),
			ClickID:    r.optStr(cm, "click_id"),
			EmailHash:  r.optStr(cm, "email_hash"),
			CustomerID: r.optStr(cm, "customer_id"),
			FirstOrder: r.optBool(cm, "first_order"),
		}
	}
	if sm := r.optRecord(m, "subscription", Namespace+".Subscription"); sm != nil {
		o.Subscription = &Subscription{
			ID:        r.str(sm, "id"),
			Cycle:     r.int(sm, "cycle"),
			StartedAt: r.optTime(sm, "started_at"),
		}
	}
	return r.err
}

func refundNative(f *Refund) (map[string]any, error) {
	var w natWriter
	m := map[string]any{
		"event_id":     f.EventID,
		"refund_id":    f.RefundID,
		"order_id":     f.OrderID,
		"platform":     f.Platform,
		"store_id":     f.StoreID,
		"currency":     f.Currency,
		"amount":       f.Amount,
		"total":        f.Total,
		"full":         f.Full,
		"reason":       optString(f.Reason),
		"customer_key": optString(f.CustomerKey),
		"occurred_at":  w.millis("occurred_at", f.OccurredAt),
		"received_at":  w.millis("received_at", f.ReceivedAt),
	}
	return m, w.err
}

func refundFromNative(m map[string]any, f *Refund) error {
	r := natReader{rec: NameRefund}
	*f = Refund{
		EventID:     r.str(m, "event_id"),
		RefundID:    r.str(m, "refund_id"),
		OrderID:     r.str(m, "order_id"),
		Platform:    r.str(m, "platform"),
		StoreID:     r.str(m, "store_id"),
		Currency:    r.str(m, "currency"),
		Amount:      r.long(m, "amount"),
		Total:       r.long(m, "total"),
		Full:        r.boolean(m, "full"),
		Reason:      r.optStr(m, "reason"),
		CustomerKey: r.optStr(m, "customer_key"),
		OccurredAt:  r.time(m, "occurred_at"),
		ReceivedAt:  r.time(m, "received_at"),
	}
	return r.err
}

func codeNative(c *Code) (map[string]any, error) {
	var w natWriter
	var commission any
	if cr := c.Commission; cr != nil {
		commission = goavro.Union(Namespace+".CommissionRule", map[string]any{
			"type":             cr.Type,
			"value":            cr.Value,
			"currency":         optString(cr.Currency),
			"recurring_months": cr.RecurringMonths,
		})
	}
	platforms := make([]any, len(c.Platforms))
	for i := range c.Platforms {
		p := &c.Platforms[i]
		platforms[i] = map[string]any{
			"platform":   p.Platform,
			"store_id":   p.StoreID,
			"remote_id":  optString(p.RemoteID),
			"status":     p.Status,
			"last_error": optString(p.LastError),
			"synced_at":  w.optMillis("platforms.synced_at", p.SyncedAt),
		}
	}
	m := map[string]any{
		"event_id":           c.EventID,
		"code":               c.Code,
		"display_code":       c.DisplayCode,
		"coupon_id":          c.CouponID,
		"affiliate_id":       c.AffiliateID,
		"affiliate_name":     optString(c.AffiliateName),
		"discount_type":      c.DiscountType,
		"discount_value":     c.DiscountValue,
		"currency":           optString(c.Currency),
		"status":             c.Status,
		"valid_from":         w.optMillis("valid_from", c.ValidFrom),
		"valid_until":        w.optMillis("valid_until", c.ValidUntil),
		"max_uses":           optLong(c.MaxUses),
		"once_per_customer":  c.OncePerCustomer,
		"min_order":          optLong(c.MinOrder),
		"first_order_only":   c.FirstOrderOnly,
		"allowed_affiliates": stringsNative(c.AllowedAffiliates),
		"requires_click":     c.RequiresClick,
		"commission":         commission,
		"platforms":          platforms,
		"version":            c.Version,
		"updated_at":         w.millis("updated_at", c.UpdatedAt),
	}
	return m, w.err
}

func codeFromNative(m map[string]any, c *Code) error {
	r := natReader{rec: NameCode}
	*c = Code{
		EventID:           r.str(m, "event_id"),
		Code:              r.str(m, "code"),
		DisplayCode:       r.str(m, "display_code"),
		CouponID:          r.str(m, "coupon_id"),
		AffiliateID:       r.str(m, "affiliate_id"),
		AffiliateName:     r.optStr(m, "affiliate_name"),
		DiscountType:      r.str(m, "discount_type"),
		DiscountValue:     r.long(m, "discount_value"),
		Currency:          r.optStr(m, "currency"),
		Status:            r.str(m, "status"),
		ValidFrom:         r.optTime(m, "valid_from"),
		ValidUntil:        r.optTime(m, "valid_until"),
		MaxUses:           r.optLong(m, "max_uses"),
		OncePerCustomer:   r.boolean(m, "once_per_customer"),
		MinOrder:          r.optLong(m, "min_order"),
		FirstOrderOnly:    r.boolean(m, "first_order_only"),
		AllowedAffiliates: r.strings(m, "allowed_affiliates"),
		RequiresClick:     r.boolean(m, "requires_click"),
		Version:           r.long(m, "version"),
		UpdatedAt:         r.time(m, "updated_at"),
	}
	if cm := r.optRecord(m, "commission", Namespace+".CommissionRule"); cm != nil {
		c.Commission = &CommissionRule{
			Type:            r.str(cm, "type"),
			Value:           r.long(cm, "value"),
			Currency:        r.optStr(cm, "currency"),
			RecurringMonths: r.int(cm, "recurring_months"),
		}
	}
	if ps := r.array(m, "platforms"); len(ps) > 0 {
		c.Platforms = make([]PlatformSync, len(ps))
		for i, x := range ps {
			pm := r.item("platforms", x)
			c.Platforms[i] = PlatformSync{
				Platform:  r.str(pm, "platform"),
				StoreID:   r.str(pm, "store_id"),
				RemoteID:  r.optStr(pm, "remote_id"),
				Status:    r.str(pm, "status"),
				LastError: r.optStr(pm, "last_error"),
				SyncedAt:  r.optTime(pm, "synced_at"),
			}
		}
	}
	return r.err
}

func attributionNative(a *Attribution) (map[string]any, error) {
	var w natWriter
	shares := make([]any, len(a.Shares))
	for i := range a.Shares {
		s := &a.Shares[i]
		shares[i] = map[string]any{
			"affiliate_id": s.AffiliateID,
			"code":         optString(s.Code),
			"click_id":     optString(s.ClickID),
			"weight_bp":    s.WeightBP,
			"commission":   s.Commission,
		}
	}
	touches := make([]any, len(a.Touches))
	for i := range a.Touches {
		t := &a.Touches[i]
		touches[i] = map[string]any{
			"kind":         t.Kind,
			"affiliate_id": optString(t.AffiliateID),
			"code":         optString(t.Code),
			"click_id":     optString(t.ClickID),
			"at":           w.millis("touches.at", t.At),
			"qualified":    t.Qualified,
			"won":          t.Won,
			"reason":       optString(t.Reason),
		}
	}
	m := map[string]any{
		"event_id":          a.EventID,
		"order_id":          a.OrderID,
		"platform":          a.Platform,
		"store_id":          a.StoreID,
		"version":           a.Version,
		"status":            a.Status,
		"rule":              a.Rule,
		"method":            a.Method,
		"affiliate_id":      optString(a.AffiliateID),
		"code":              optString(a.Code),
		"click_id":          optString(a.ClickID),
		"customer_key":      a.CustomerKey,
		"currency":          a.Currency,
		"order_total":       a.OrderTotal,
		"net_amount":        a.NetAmount,
		"commission":        a.Commission,
		"reasons":           stringsNative(a.Reasons),
		"shares":            shares,
		"touches":           touches,
		"order_occurred_at": w.millis("order_occurred_at", a.OrderOccurredAt),
		"decided_at":        w.millis("decided_at", a.DecidedAt),
	}
	return m, w.err
}

func attributionFromNative(m map[string]any, a *Attribution) error {
	r := natReader{rec: NameAttribution}
	*a = Attribution{
		EventID:         r.str(m, "event_id"),
		OrderID:         r.str(m, "order_id"),
		Platform:        r.str(m, "platform"),
		StoreID:         r.str(m, "store_id"),
		Version:         r.int(m, "version"),
		Status:          r.str(m, "status"),
		Rule:            r.str(m, "rule"),
		Method:          r.str(m, "method"),
		AffiliateID:     r.optStr(m, "affiliate_id"),
		Code:            r.optStr(m, "code"),
		ClickID:         r.optStr(m, "click_id"),
		CustomerKey:     r.str(m, "customer_key"),
		Currency:        r.str(m, "currency"),
		OrderTotal:      r.long(m, "order_total"),
		NetAmount:       r.long(m, "net_amount"),
		Commission:      r.long(m, "commission"),
		Reasons:         r.strings(m, "reasons"),
		OrderOccurredAt: r.time(m, "order_occurred_at"),
		DecidedAt:       r.time(m, "decided_at"),
	}
	if ss := r.array(m, "shares"); len(ss) > 0 {
		a.Shares = make([]Share, len(ss))
		for i, x := range ss {
			sm := r.item("shares", x)
			a.Shares[i] = Share{
				AffiliateID: r.str(sm, "affiliate_id"),
				Code:        r.optStr(sm, "code"),
				ClickID:     r.optStr(sm, "click_id"),
				WeightBP:    r.int(sm, "weight_bp"),
				Commission:  r.long(sm, "commission"),
			}
		}
	}
	if ts := r.array(m, "touches"); len(ts) > 0 {
		a.Touches = make([]Touch, len(ts))
		for i, x := range ts {
			tm := r.item("touches", x)
			a.Touches[i] = Touch{
				Kind:        r.str(tm, "kind"),
				AffiliateID: r.optStr(tm, "affiliate_id"),
				Code:        r.optStr(tm, "code"),
				ClickID:     r.optStr(tm, "click_id"),
				At:          r.time(tm, "at"),
				Qualified:   r.boolean(tm, "qualified"),
				Won:         r.boolean(tm, "won"),
				Reason:      r.optStr(tm, "reason"),
			}
		}
	}
	return r.err
}

func adjustmentNative(a *Adjustment) (map[string]any, error) {
	var w natWriter
	m := map[string]any{
		"event_id":            a.EventID,
		"order_id":            a.OrderID,
		"platform":            a.Platform,
		"store_id":            a.StoreID,
		"refund_id":           optString(a.RefundID),
		"affiliate_id":        a.AffiliateID,
		"code":                optString(a.Code),
		"amount":              a.Amount,
		"currency":            a.Currency,
		"reason":              a.Reason,
		"attribution_version": a.AttributionVersion,
		"occurred_at":         w.millis("occurred_at", a.OccurredAt),
		"decided_at":          w.millis("decided_at", a.DecidedAt),
	}
	return m, w.err
}

func adjustmentFromNative(m map[string]any, a *Adjustment) error {
	r := natReader{rec: NameAdjustment}
	*a = Adjustment{
		EventID:            r.str(m, "event_id"),
		OrderID:            r.str(m, "order_id"),
		Platform:           r.str(m, "platform"),
		StoreID:            r.str(m, "store_id"),
		RefundID:           r.optStr(m, "refund_id"),
		AffiliateID:        r.str(m, "affiliate_id"),
		Code:               r.optStr(m, "code"),
		Amount:             r.long(m, "amount"),
		Currency:           r.str(m, "currency"),
		Reason:             r.str(m, "reason"),
		AttributionVersion: r.int(m, "attribution_version"),
		OccurredAt:         r.time(m, "occurred_at"),
		DecidedAt:          r.time(m, "decided_at"),
	}
	return r.err
}

func flagNative(f *Flag) (map[string]any, error) {
	var w natWriter
	m := map[string]any{
		"event_id":     f.EventID,
		"type":         f.Type,
		"severity":     f.Severity,
		"order_id":     optString(f.OrderID),
		"platform":     optString(f.Platform),
		"store_id":     optString(f.StoreID),
		"code":         optString(f.Code),
		"affiliate_id": optString(f.AffiliateID),
		"evidence":     stringMapNative(f.Evidence),
		"occurred_at":  w.millis("occurred_at", f.OccurredAt),
		"detected_at":  w.millis("detected_at", f.DetectedAt),
	}
	return m, w.err
}

func flagFromNative(m map[string]any, f *Flag) error {
	r := natReader{rec: NameFlag}
	*f = Flag{
		EventID:     r.str(m, "event_id"),
		Type:        r.str(m, "type"),
		Severity:    r.str(m, "severity"),
		OrderID:     r.optStr(m, "order_id"),
		Platform:    r.optStr(m, "platform"),
		StoreID:     r.optStr(m, "store_id"),
		Code:        r.optStr(m, "code"),
		AffiliateID: r.optStr(m, "affiliate_id"),
		Evidence:    r.stringMap(m, "evidence"),
		OccurredAt:  r.time(m, "occurred_at"),
		DetectedAt:  r.time(m, "detected_at"),
	}
	return r.err
}

func deadLetterNative(d *DeadLetter) (map[string]any, error) {
	var w natWriter
	value := d.Value
	if value == nil {
		value = []byte{}
	}
	m := map[string]any{
		"event_id":    d.EventID,
		"source":      d.Source,
		"stage":       d.Stage,
		"partition":   optInt(d.Partition),
		"offset":      optLong(d.Offset),
		"key":         optBytes(d.Key),
		"value":       value,
		"reason":      d.Reason,
		"occurred_at": w.millis("occurred_at", d.OccurredAt),
	}
	return m, w.err
}

func deadLetterFromNative(m map[string]any, d *DeadLetter) error {
	r := natReader{rec: NameDeadLetter}
	*d = DeadLetter{
		EventID:    r.str(m, "event_id"),
		Source:     r.str(m, "source"),
		Stage:      r.str(m, "stage"),
		Partition:  r.optInt(m, "partition"),
		Offset:     r.optLong(m, "offset"),
		Key:        r.optBytes(m, "key"),
		Value:      r.bytes(m, "value"),
		Reason:     r.str(m, "reason"),
		OccurredAt: r.time(m, "occurred_at"),
	}
	return r.err
}
