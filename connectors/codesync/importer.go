package codesync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// DefaultImportAffiliate owns imported codes until they are reassigned.
const DefaultImportAffiliate = "unassigned"

// Applier writes registry changes: a *registry.Writer.
type Applier interface {
	Apply(ctx context.Context, changes []registry.Change, opts registry.ApplyOptions) (registry.ApplyResult, error)
}

// ImportOptions control Import.
type ImportOptions struct {
	// Affiliate owns the imported codes. Orders with them are credited to
	// it until the codes are reassigned (a CSV import with
	// --allow-reassign). Default DefaultImportAffiliate.
	Affiliate string
	// DryRun reports what would be imported without writing. Default false.
	DryRun bool
}

// What Import did with one store coupon (Imported.Action).
const (
	ImportCreated = "created" // a new registry code
	ImportLinked  = "linked"  // an existing registry code, now tied to the store's coupon
	ImportKnown   = "known"   // the registry already tied the code to this store
	ImportSkipped = "skipped" // see Imported.Reason
)

// Imported is one store coupon seen by Import.
type Imported struct {
	Code     string
	Platform string
	Store    string
	RemoteID string
	Action   string
	Reason   string
}

// ImportReport is what Import did.
type ImportReport struct {
	Listed                          int
	Created, Linked, Known, Skipped int
	// Items lists every coupon but the known ones.
	Items []Imported
	// Conflicts are codes changed in the registry meanwhile, not written.
	Conflicts []registry.Conflict
	Written   int
}

// Import lists the coupons of every store and writes them into the
// registry through w:
//
//   - a code the registry lacks becomes a code of opts.Affiliate, with the
//     coupon's discount and limits, coupon id derived from the discount
//     (registry.DefaultCouponID), status active or inactive as in the store,
//     and the store's sync state;
//   - a code the registry has is linked: the store's state is added to its
//     Platforms (pending when the store's coupon differs, so the next sync
//     pushes the registry's definition); its definition is not changed;
//   - a coupon with rules the registry cannot hold (product restrictions,
//     free shipping, a Shopify price rule with several codes, ...) or a
//     code the registry cannot normalise is skipped, with the reason.
//
// The same code in several stores becomes one code, linked to each.
func (s *Syncer) Import(ctx context.Context, w Applier, opts ImportOptions) (*ImportReport, error) {
	if opts.Affiliate == "" {
		opts.Affiliate = DefaultImportAffiliate
	}
	if w == nil && !opts.DryRun {
		return nil, errors.New("sync: import needs a writer")
	}
	now := s.cfg.Now()
	rep := &ImportReport{}
	var order []string
	inOrder := map[string]bool{}
	pending := map[string]*schemas.Code{} // new or linked codes to write
	base := map[string]int64{}
	for _, r := range s.cfg.Remotes {
		err := r.List(ctx, func(cp Coupon) error {
			rep.Listed++
			it := Imported{Code: cp.Code, Platform: r.Platform(), Store: r.StoreID(), RemoteID: cp.ID}
			code, err := s.importOne(r, cp, now, opts, pending, base, &it)
			if err != nil {
				it.Action, it.Reason = ImportSkipped, err.Error()
			}
			switch it.Action {
			case ImportKnown:
				rep.Known++
				return nil
			case ImportSkipped:
				rep.Skipped++
			case ImportCreated:
				rep.Created++
			case ImportLinked:
				rep.Linked++
			}
			if code != "" && !inOrder[code] {
				inOrder[code] = true
				order = append(order, code)
			}
			rep.Items = append(rep.Items, it)
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("importing from %s/%s: %w", r.Platform(), r.StoreID(), err)
		}
	}
	if opts.DryRun || len(order) == 0 {
		return rep, nil
	}
	const chunk = 1000
	for i := 0; i < len(order); i += chunk {
		changes := make([]registry.Change, 0, chunk)
		for _, k := range order[i:min(i+chunk, len(order))] {
			changes = append(changes, registry.Change{Code: k, Base: base[k], Value: pending[k]})
		}
		res, err := w.Apply(ctx, changes, registry.ApplyOptions{})
		rep.Written += res.Written
		rep.Conflicts = append(rep.Conflicts, res.Conflicts...)
		if err != nil {
			return rep, fmt.Errorf("writing imported codes: %w", err)
		}
	}
	return rep, nil
}

// importOne decides what to do with one coupon, updating pending and base;
// it returns the normalised code to write ("" for none).
func (s *Syncer) importOne(r Remote, cp Coupon, now time.Time, opts ImportOptions, pending map[string]*schemas.Code, base map[string]int64, it *Imported) (string, error) {
	norm, err := promocode.Normalize(cp.Code)
	if err != nil {
		return "", fmt.Errorf("code: %s", strings.TrimPrefix(err.Error(), "promocode: "))
	}
	it.Code = norm
	if cp.Unmapped != "" {
		return "", fmt.Errorf("has rules the registry cannot hold: %s", cp.Unmapped)
	}
	if cp.DiscountType == registry.Fixed && cp.Currency == "" || cp.MinOrder != nil && cp.Currency == "" {
		return "", errors.New("amount without a currency: set the store's currency in its sync settings")
	}
	st := schemas.PlatformSync{Platform: r.Platform(), StoreID: r.StoreID(), RemoteID: ptr(cp.ID), Status: registry.SyncSynced, SyncedAt: ptr(now.UTC().Truncate(time.Millisecond))}
	c, ok := pending[norm]
	if !ok {
		if existing, found := s.reg.Get(norm); found {
			for _, p := range existing.Platforms {
				if p.Platform == st.Platform && p.StoreID == st.StoreID {
					it.Action = ImportKnown
					return "", nil
				}
			}
			cl := registry.Clone(&existing)
			c, base[norm] = &cl, existing.Version
			pending[norm] = c
		}
	}
	if c != nil {
		// Known already (registry or an earlier store): link.
		if w, err := r.Want(c, now); err != nil || len(diff(cp, w, now)) > 0 {
			st.Status = registry.SyncPending
		}
		c.Platforms = append(c.Platforms, st)
		it.Action = ImportLinked
		return norm, nil
	}
	nc := schemas.Code{
		Code:            norm,
		DisplayCode:     cp.Code,
		AffiliateID:     opts.Affiliate,
		DiscountType:    cp.DiscountType,
		DiscountValue:   cp.DiscountValue,
		Status:          registry.StatusInactive,
		ValidFrom:       clone(cp.StartsAt),
		ValidUntil:      clone(cp.EndsAt),
		MaxUses:         clone(cp.MaxUses),
		OncePerCustomer: cp.OncePerCustomer,
		MinOrder:        clone(cp.MinOrder),
		FirstOrderOnly:  cp.FirstOrderOnly,
		Platforms:       []schemas.PlatformSync{st},
	}
	if cp.Active {
		nc.Status = registry.StatusActive
	}
	if cp.Currency != "" && (cp.DiscountType == registry.Fixed || cp.MinOrder != nil) {
		nc.Currency = ptr(cp.Currency)
	}
	nc.CouponID = registry.DefaultCouponID(nc.DiscountType, nc.DiscountValue, nc.Currency)
	if errs := registry.Validate(&nc); len(errs) > 0 {
		return "", &registry.InvalidError{Fields: errs}
	}
	pending[norm], base[norm] = &nc, 0
	it.Action = ImportCreated
	return norm, nil
}
