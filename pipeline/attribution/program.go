package attribution

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"

	"github.com/heldsway/heldsway/pipeline/fraud"
	"github.com/heldsway/heldsway/schemas"
)

// Rule names how an order is attributed when clicks and codes compete.
type Rule string

// The rules; see doc.go.
const (
	CouponPriority Rule = "coupon_priority"
	ClickPriority  Rule = "click_priority"
	LastTouch      Rule = "last_touch"
	FirstTouch     Rule = "first_touch"
	Split          Rule = "split"
)

// Valid reports whether r is one of the rules.
func (r Rule) Valid() bool {
	switch r {
	case CouponPriority, ClickPriority, LastTouch, FirstTouch, Split:
		return true
	}
	return false
}

// Commission is a commission rule as written in program.yaml.
type Commission struct {
	// Type is percent or fixed.
	Type string `yaml:"type"`
	// Value: basis points of the net order value for percent (1000 =
	// 10%), minor units per order for fixed.
	Value int64 `yaml:"value"`
	// Currency of a fixed value; required for fixed.
	Currency string `yaml:"currency,omitempty"`
	// RecurringMonths: subscription payments earn while within this many
	// months of the subscription's start; 0 means the first payment only.
	RecurringMonths int32 `yaml:"recurring_months,omitempty"`
}

// Rule returns c as a schemas.CommissionRule.
func (c Commission) Rule() schemas.CommissionRule {
	r := schemas.CommissionRule{Type: c.Type, Value: c.Value, RecurringMonths: c.RecurringMonths}
	if c.Currency != "" {
		cur := c.Currency
		r.Currency = &cur
	}
	return r
}

func validateCommission(c schemas.CommissionRule) error {
	switch c.Type {
	case "percent":
		if c.Value < 0 || c.Value > 10000 {
			return fmt.Errorf("value: %d basis points must be in [0, 10000]", c.Value)
		}
	case "fixed":
		if c.Value < 0 {
			return fmt.Errorf("value: %d must not be negative", c.Value)
		}
		if c.Currency == nil || len(*c.Currency) != 3 {
			return errors.New("currency: a fixed commission needs a 3-letter currency")
		}
	default:
		return fmt.Errorf("type: %q must be percent or fixed", c.Type)
	}
	if c.RecurringMonths < 0 {
		return fmt.Errorf("recurring_months: %d must not be negative", c.RecurringMonths)
	}
	return nil
}

// Defaults are the program-wide settings.
type Defaults struct {
	// Rule decides between clicks and codes. Default coupon_priority.
	Rule Rule `yaml:"rule"`
	// Window is how long a click counts before an order, by event time.
	// Default 720h (30 days).
	Window time.Duration `yaml:"window"`
	// Grace is how long after an order was decided (processing time) a
	// late click with an earlier event time can still revise it.
	// Default 10m.
	Grace time.Duration `yaml:"grace"`
	// InjectionThreshold: a credited click less than this before checkout
	// is flagged click_injection. Default 10s.
	InjectionThreshold time.Duration `yaml:"injection_threshold"`
	// Commission when neither the code nor the affiliate sets one.
	// Default percent 0 (no commission).
	Commission Commission `yaml:"commission"`
	// StuffingSeverity of code_without_click flags. Default review.
	StuffingSeverity string `yaml:"stuffing_severity"`
	// InjectionSeverity of click_injection flags. Default review.
	InjectionSeverity string `yaml:"injection_severity"`
	// Leak tunes the code_leak detector of stage 2.
	Leak fraud.LeakConfig `yaml:"leak"`
	// LifetimeMonths, when above 0, credits a customer's orders for that
	// many calendar months after its first credited order to the
	// affiliate of that order (method customer), before any code or
	// click. Default 0 (off). At most 1200.
	LifetimeMonths int32 `yaml:"lifetime_months"`
}

// Override changes the rule, window or commission for one affiliate or
// one code. Zero fields inherit.
type Override struct {
	Rule       Rule          `yaml:"rule,omitempty"`
	Window     time.Duration `yaml:"window,omitempty"`
	Commission *Commission   `yaml:"commission,omitempty"`
}

// Program is program.yaml: defaults plus overrides per affiliate id and
// per code. Precedence, field by field: code override > affiliate
// override > defaults (see Settings).
type Program struct {
	Defaults   Defaults            `yaml:"defaults"`
	Affiliates map[string]Override `yaml:"affiliates"`
	// Codes is keyed by the normalised code; Parse normalises the keys.
	Codes map[string]Override `yaml:"codes"`
}

// Default defaults, as stated on the fields.
const (
	DefaultRule               = CouponPriority
	DefaultWindow             = 720 * time.Hour
	DefaultGrace              = 10 * time.Minute
	DefaultInjectionThreshold = 10 * time.Second
)

// NewProgram returns a program with every default applied and no
// overrides.
func NewProgram() *Program {
	p := &Program{}
	p.EnsureDefaults()
	return p
}

// EnsureDefaults fills zero fields with their defaults.
func (p *Program) EnsureDefaults() {
	d := &p.Defaults
	if d.Rule == "" {
		d.Rule = DefaultRule
	}
	if d.Window == 0 {
		d.Window = DefaultWindow
	}
	if d.Grace == 0 {
		d.Grace = DefaultGrace
	}
	if d.InjectionThreshold == 0 {
		d.InjectionThreshold = DefaultInjectionThreshold
	}
	if d.Commission.Type == "" {
		d.Commission.Type = "percent"
	}
	if d.StuffingSeverity == "" {
		d.StuffingSeverity = fraud.SeverityReview
	}
	if d.InjectionSeverity == "" {
		d.InjectionSeverity = fraud.SeverityReview
	}
	if d.Leak.Settle == 0 {
		d.Leak.Settle = d.Grace // a decision is final after the grace period
	}
	d.Leak.EnsureDefaults()
}

// ErrInvalidProgram is wrapped by every Parse, Load and Validate error.
var ErrInvalidProgram = errors.New("attribution: invalid program")

// maxWindow bounds any window (about 3 years).
const maxWindow = 3 * 366 * 24 * time.Hour

// Validate checks a program after EnsureDefaults. Errors name the field,
// e.g. "affiliates.aff-1.window: -1h0m0s must be positive".
func (p *Program) Validate() error {
	fail := func(field string, err error) error {
		return fmt.Errorf("%w: %s.%w", ErrInvalidProgram, field, err)
	}
	d := p.Defaults
	if !d.Rule.Valid() {
		return fail("defaults", fmt.Errorf("rule: %q is not one of coupon_priority, click_priority, last_touch, first_touch, split", d.Rule))
	}
	if err := validateWindow(d.Window); err != nil {
		return fail("defaults", err)
	}
	if d.Grace < 0 || d.Grace > 24*time.Hour {
		return fail("defaults", fmt.Errorf("grace: %v must be in [0, 24h]", d.Grace))
	}
	if d.InjectionThreshold < 0 || d.InjectionThreshold > time.Hour {
		return fail("defaults", fmt.Errorf("injection_threshold: %v must be in [0, 1h]", d.InjectionThreshold))
	}
	if err := validateCommission(d.Commission.Rule()); err != nil {
		return fail("defaults.commission", err)
	}
	if d.LifetimeMonths < 0 || d.LifetimeMonths > maxCycleMonths {
		return fail("defaults", fmt.Errorf("lifetime_months: %d must be in [0, %d]", d.LifetimeMonths, maxCycleMonths))
	}
	if !fraud.ValidSeverity(d.StuffingSeverity) {
		return fail("defaults", fmt.Errorf("stuffing_severity: %q must be review or reject", d.StuffingSeverity))
	}
	if !fraud.ValidSeverity(d.InjectionSeverity) {
		return fail("defaults", fmt.Errorf("injection_severity: %q must be review or reject", d.InjectionSeverity))
	}
	if err := d.Leak.Validate(); err != nil {
		return fail("defaults.leak", err)
	}
	for _, kind := range []struct {
		name string
		m    map[string]Override
	}{{"affiliates", p.Affiliates}, {"codes", p.Codes}} {
		for _, k := range sortedKeys(kind.m) {
			o := kind.m[k]
			field := kind.name + "." + k
			if k == "" {
				return fmt.Errorf("%w: %s: empty key", ErrInvalidProgram, kind.name)
			}
			if o.Rule != "" && !o.Rule.Valid() {
				return fail(field, fmt.Errorf("rule: %q is not one of coupon_priority, click_priority, last_touch, first_touch, split", o.Rule))
			}
			if o.Window != 0 {
				if err := validateWindow(o.Window); err != nil {
					return fail(field, err)
				}
			}
			if o.Commission != nil {
				if err := validateCommission(o.Commission.Rule()); err != nil {
					return fail(field+".commission", err)
				}
			}
		}
	}
	return nil
}

func validateWindow(w time.Duration) error {
	if w <= 0 || w > maxWindow {
		return fmt.Errorf("window: %v must be positive and at most %v", w, maxWindow)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// maxProgramSize bounds program.yaml.
const maxProgramSize = 4 << 20

// Parse decodes program.yaml, rejecting unknown fields, normalises the code
// keys, applies defaults and validates.
func Parse(data []byte) (*Program, error) {
	if len(data) > maxProgramSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidProgram, len(data), maxProgramSize)
	}
	p := &Program{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: decoding yaml: %v", ErrInvalidProgram, err)
	}
	if len(p.Codes) > 0 {
		norm := make(map[string]Override, len(p.Codes))
		for _, k := range sortedKeys(p.Codes) {
			c := normalizeCode(k)
			if c == "" {
				return nil, fmt.Errorf("%w: codes.%q: empty code", ErrInvalidProgram, k)
			}
			if _, dup := norm[c]; dup {
				return nil, fmt.Errorf("%w: codes.%s: duplicates %s after normalising", ErrInvalidProgram, k, c)
			}
			norm[c] = p.Codes[k]
		}
		p.Codes = norm
	}
	p.EnsureDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Load reads and parses the program file at path.
func Load(path string) (*Program, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading program: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return p, nil
}

// normalizeCode is the registry's normal form of a code (promocode.Normalize:
// trimmed, NFKC, upper case) without its rejections, which the registry
// applies when codes are issued. It is repeated here so that program
// loading does not depend on the registry package.
func normalizeCode(s string) string {
	return strings.TrimSpace(strings.ToUpper(norm.NFKC.String(strings.TrimSpace(s))))
}

// Settings are the effective rule, window and commission for one
// affiliate and code.
type Settings struct {
	Rule       Rule
	Window     time.Duration
	Commission schemas.CommissionRule
	// CommissionSet: an override gives the commission, or the default is
	// not 0. False means no rule applies (no_commission_rule).
	CommissionSet bool
}

// Settings resolves affiliateID and code (either may be empty), field by
// field: code override > affiliate override > defaults. The commission
// here is the program's; a registry entry's own Commission outranks it
// (see commissionFor).
func (p *Program) Settings(affiliateID, code string) Settings {
	s := Settings{Rule: p.Defaults.Rule, Window: p.Defaults.Window, Commission: p.Defaults.Commission.Rule(),
		CommissionSet: p.Defaults.Commission.Value != 0}
	apply := func(o Override, ok bool) {
		if !ok {
			return
		}
		if o.Rule != "" {
			s.Rule = o.Rule
		}
		if o.Window != 0 {
			s.Window = o.Window
		}
		if o.Commission != nil {
			s.Commission = o.Commission.Rule()
			s.CommissionSet = true
		}
	}
	if affiliateID != "" {
		o, ok := p.Affiliates[affiliateID]
		apply(o, ok)
	}
	if code != "" {
		o, ok := p.Codes[code]
		apply(o, ok)
	}
	return s
}

// MaxWindow is the longest window any setting can give: touches older than
// it relative to an event can never qualify and are pruned.
func (p *Program) MaxWindow() time.Duration {
	w := p.Defaults.Window
	for _, m := range []map[string]Override{p.Affiliates, p.Codes} {
		for _, o := range m {
			w = max(w, o.Window)
		}
	}
	return w
}
