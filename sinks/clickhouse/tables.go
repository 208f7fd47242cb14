package clickhouse

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// The raw tables, one per topic, in flush order. Their DDL is in
// migrations/; TestTablesMatchDDL keeps the two in step.
var (
	clicksTable = define("clicks", func(r *row, c *schemas.Click) {
		r.col("event_id", c.EventID)
		r.col("click_id", c.ClickID)
		r.col("visitor_id", c.VisitorID)
		r.col("code", c.Code)
		r.col("affiliate_id", c.AffiliateID)
		r.col("destination_id", c.DestinationID)
		r.col("landing_url", c.LandingURL)
		r.col("referrer", c.Referrer)
		r.col("page_type", c.PageType)
		r.col("ip_hash", c.IPHash)
		r.col("user_agent", c.UserAgent)
		r.flag("is_bot", c.IsBot)
		r.col("bot_reason", c.BotReason)
		r.col("source", c.Source)
		r.time("occurred_at", c.OccurredAt)
		r.time("received_at", c.ReceivedAt)
	})

	ordersTable = define("orders", func(r *row, o *schemas.Order) {
		r.col("event_id", o.EventID)
		r.col("order_id", o.OrderID)
		r.col("platform", o.Platform)
		r.col("store_id", o.StoreID)
		r.col("source_event", o.SourceEvent)
		r.col("currency", o.Currency)
		r.col("subtotal", o.Subtotal)
		r.col("discount", o.Discount)
		r.col("shipping", o.Shipping)
		r.col("tax", o.Tax)
		r.col("total", o.Total)
		r.col("codes", each(o.Codes, func(c schemas.AppliedCode) string { return c.Code }))
		r.col("code_amounts", each(o.Codes, func(c schemas.AppliedCode) int64 { return c.Amount }))
		r.col("code_remote_ids", each(o.Codes, func(c schemas.AppliedCode) *string { return c.RemoteID }))
		r.col("customer_key", o.Customer.Key)
		r.col("customer_visitor_id", o.Customer.VisitorID)
		r.col("customer_click_id", o.Customer.ClickID)
		r.col("customer_email_hash", o.Customer.EmailHash)
		r.col("customer_id", o.Customer.CustomerID)
		r.optFlag("customer_first_order", o.Customer.FirstOrder)
		var sub schemas.Subscription
		if o.Subscription != nil {
			sub = *o.Subscription
		}
		r.col("subscription_id", optional(o.Subscription != nil, sub.ID))
		r.col("subscription_cycle", optional(o.Subscription != nil, sub.Cycle))
		r.optTime("subscription_started_at", sub.StartedAt)
		r.col("landing_url", o.LandingURL)
		r.optTime("code_applied_at", o.CodeAppliedAt)
		r.time("occurred_at", o.OccurredAt)
		r.time("received_at", o.ReceivedAt)
	})

	refundsTable = define("refunds", func(r *row, f *schemas.Refund) {
		r.col("event_id", f.EventID)
		r.col("refund_id", f.RefundID)
		r.col("order_id", f.OrderID)
		r.col("platform", f.Platform)
		r.col("store_id", f.StoreID)
		r.col("currency", f.Currency)
		r.col("amount", f.Amount)
		r.col("total", f.Total)
		r.flag("full", f.Full)
		r.col("reason", f.Reason)
		r.col("customer_key", f.CustomerKey)
		r.time("occurred_at", f.OccurredAt)
		r.time("received_at", f.ReceivedAt)
	})

	codesTable = define("codes", func(r *row, c *schemas.Code) {
		r.col("event_id", c.EventID)
		r.col("code", c.Code)
		r.col("display_code", c.DisplayCode)
		r.col("coupon_id", c.CouponID)
		r.col("affiliate_id", c.AffiliateID)
		r.col("affiliate_name", c.AffiliateName)
		r.col("discount_type", c.DiscountType)
		r.col("discount_value", c.DiscountValue)
		r.col("currency", c.Currency)
		r.col("status", c.Status)
		r.optTime("valid_from", c.ValidFrom)
		r.optTime("valid_until", c.ValidUntil)
		r.col("max_uses", c.MaxUses)
		r.flag("once_per_customer", c.OncePerCustomer)
		r.col("min_order", c.MinOrder)
		r.flag("first_order_only", c.FirstOrderOnly)
		r.col("allowed_affiliates", nonNil(c.AllowedAffiliates))
		r.flag("requires_click", c.RequiresClick)
		var rule schemas.CommissionRule
		if c.Commission != nil {
			rule = *c.Commission
		}
		r.col("commission_type", optional(c.Commission != nil, rule.Type))
		r.col("commission_value", optional(c.Commission != nil, rule.Value))
		r.col("commission_currency", rule.Currency)
		r.col("commission_recurring_months", optional(c.Commission != nil, rule.RecurringMonths))
		r.col("platform_names", each(c.Platforms, func(p schemas.PlatformSync) string { return p.Platform }))
		r.col("platform_store_ids", each(c.Platforms, func(p schemas.PlatformSync) string { return p.StoreID }))
		r.col("platform_remote_ids", each(c.Platforms, func(p schemas.PlatformSync) *string { return p.RemoteID }))
		r.col("platform_statuses", each(c.Platforms, func(p schemas.PlatformSync) string { return p.Status }))
		r.col("platform_last_errors", each(c.Platforms, func(p schemas.PlatformSync) *string { return p.LastError }))
		r.col("platform_synced_at_ms", each(c.Platforms, func(p schemas.PlatformSync) *int64 { return unixMilli(p.SyncedAt) }))
		r.version("version", c.Version)
		r.time("updated_at", c.UpdatedAt)
	})

	attributionsTable = define("attributions", func(r *row, a *schemas.Attribution) {
		r.col("event_id", a.EventID)
		r.col("order_id", a.OrderID)
		r.col("platform", a.Platform)
		r.col("store_id", a.StoreID)
		r.version("version", int64(a.Version))
		r.col("status", a.Status)
		r.col("rule", a.Rule)
		r.col("method", a.Method)
		r.col("affiliate_id", a.AffiliateID)
		r.col("code", a.Code)
		r.col("click_id", a.ClickID)
		r.col("customer_key", a.CustomerKey)
		r.col("currency", a.Currency)
		r.col("order_total", a.OrderTotal)
		r.col("net_amount", a.NetAmount)
		r.col("commission", a.Commission)
		r.col("reasons", nonNil(a.Reasons))
		r.col("share_affiliate_ids", each(a.Shares, func(s schemas.Share) string { return s.AffiliateID }))
		r.col("share_codes", each(a.Shares, func(s schemas.Share) *string { return s.Code }))
		r.col("share_click_ids", each(a.Shares, func(s schemas.Share) *string { return s.ClickID }))
		r.col("share_weight_bp", each(a.Shares, func(s schemas.Share) int32 { return s.WeightBP }))
		r.col("share_commissions", each(a.Shares, func(s schemas.Share) int64 { return s.Commission }))
		r.col("touch_kinds", each(a.Touches, func(t schemas.Touch) string { return t.Kind }))
		r.col("touch_affiliate_ids", each(a.Touches, func(t schemas.Touch) *string { return t.AffiliateID }))
		r.col("touch_codes", each(a.Touches, func(t schemas.Touch) *string { return t.Code }))
		r.col("touch_click_ids", each(a.Touches, func(t schemas.Touch) *string { return t.ClickID }))
		r.col("touch_at_ms", each(a.Touches, func(t schemas.Touch) int64 { return t.At.UnixMilli() }))
		r.col("touch_qualified", each(a.Touches, func(t schemas.Touch) uint8 { return boolToUInt8(t.Qualified) }))
		r.col("touch_won", each(a.Touches, func(t schemas.Touch) uint8 { return boolToUInt8(t.Won) }))
		r.col("touch_reasons", each(a.Touches, func(t schemas.Touch) *string { return t.Reason }))
		r.time("order_occurred_at", a.OrderOccurredAt)
		r.time("decided_at", a.DecidedAt)
	})

	adjustmentsTable = define("adjustments", func(r *row, a *schemas.Adjustment) {
		r.col("event_id", a.EventID)
		r.col("order_id", a.OrderID)
		r.col("platform", a.Platform)
		r.col("store_id", a.StoreID)
		r.col("refund_id", a.RefundID)
		r.col("affiliate_id", a.AffiliateID)
		r.col("code", a.Code)
		r.col("amount", a.Amount)
		r.col("currency", a.Currency)
		r.col("reason", a.Reason)
		r.col("attribution_version", a.AttributionVersion)
		r.time("occurred_at", a.OccurredAt)
		r.time("decided_at", a.DecidedAt)
	})

	flagsTable = define("flags", func(r *row, f *schemas.Flag) {
		keys := slices.Sorted(maps.Keys(f.Evidence))
		r.col("event_id", f.EventID)
		r.col("type", f.Type)
		r.col("severity", f.Severity)
		r.col("order_id", f.OrderID)
		r.col("platform", f.Platform)
		r.col("store_id", f.StoreID)
		r.col("code", f.Code)
		r.col("affiliate_id", f.AffiliateID)
		r.col("evidence_keys", keys)
		r.col("evidence_values", each(keys, func(k string) string { return f.Evidence[k] }))
		r.time("occurred_at", f.OccurredAt)
		r.time("detected_at", f.DetectedAt)
	})

	deadlettersTable = define("deadletters", func(r *row, d *schemas.DeadLetter) {
		var key *string
		if d.Key != nil {
			k := string(d.Key)
			key = &k
		}
		r.col("event_id", d.EventID)
		r.col("source", d.Source)
		r.col("stage", d.Stage)
		r.col("source_partition", d.Partition)
		r.col("source_offset", d.Offset)
		r.col("key", key)
		r.col("value", string(d.Value))
		r.col("reason", d.Reason)
		r.time("occurred_at", d.OccurredAt)
	})
)

// tables lists every table in flush order.
var tables = []*table{
	clicksTable, ordersTable, refundsTable, codesTable,
	attributionsTable, adjustmentsTable, flagsTable, deadlettersTable,
}

// tableFor returns the table for a record (a value or a pointer).
func tableFor(rec any) (*table, bool) {
	t := reflect.TypeOf(rec)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, tb := range tables {
		if tb.goType == t {
			return tb, true
		}
	}
	return nil, false
}

// topicTables maps each configured topic to its table.
func topicTables(t schemas.Topics) map[string]*table {
	m := make(map[string]*table)
	for _, p := range []struct {
		topic string
		table *table
	}{
		{t.Clicks, clicksTable}, {t.Orders, ordersTable}, {t.Refunds, refundsTable},
		{t.Codes, codesTable}, {t.Attributions, attributionsTable},
		{t.Adjustments, adjustmentsTable}, {t.Flags, flagsTable}, {t.DeadLetter, deadlettersTable},
	} {
		if p.topic != "" {
			m[p.topic] = p.table
		}
	}
	return m
}

// optional returns &v when ok, else nil: a Nullable column for a field of
// an optional record.
func optional[V any](ok bool, v V) *V {
	if !ok {
		return nil
	}
	return &v
}

func unixMilli(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}
