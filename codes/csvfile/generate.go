package csvfile

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas/money"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Alphabet is what random code characters are drawn from: digits and upper
// case letters without the look-alikes 0/O, 1/I/L.
const Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// maxNamePart bounds each name taken into a code, in characters.
const maxNamePart = 12

// ErrExhausted is returned when every candidate a rule yields is taken.
var ErrExhausted = errors.New("csvfile: no free code for this rule")

// ErrRule is wrapped by errors about a generation rule.
var ErrRule = errors.New("csvfile: invalid rule")

// Affiliate is what generation knows about the affiliate a code is for.
type Affiliate struct {
	ID    string // required; seeds the random parts
	Name  string // full name: the first word is {first}, the last {last}
	Email string // its local part is {email}
}

// Rule is a naming rule for generated codes: a template of literal text
// and placeholders.
//
//	{first}     first name (first word of the name)
//	{last}      surname (last word of the name, when there are two or more)
//	{email}     local part of the email, before '@' and any '+tag'
//	{discount}  discount amount: 10 for 10%, 12.5% as 125, 5 for 5.00 USD
//	{random}    4 random characters from Alphabet; {random:N} N of 1-8
//
// Names are folded to ASCII letters and digits ("Zoë O'Brien" -> ZOE,
// OBRIEN) and cut to 12 characters each. Examples:
//
//	{first}{discount}           SARAH10
//	PARTNER-{first}-{random:2}  PARTNER-JOHN-X7
//	{first}{last}{discount}     JOHNDOE15
//
// The random characters are not random: they are derived from the
// affiliate id (SHA-256), so generation is reproducible.
type Rule struct {
	src   string
	parts []rulePart
}

type rulePart struct {
	lit   string // literal text, when token is ""
	token string // first, last, email, discount, random
	n     int    // length of random
}

// ParseRule parses a rule template.
func ParseRule(s string) (*Rule, error) {
	r := &Rule{src: s}
	rest := s
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			r.parts = append(r.parts, rulePart{lit: rest})
			break
		}
		if i > 0 {
			r.parts = append(r.parts, rulePart{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%w: %q: unclosed '{'", ErrRule, s)
		}
		tok := strings.ToLower(strings.TrimSpace(rest[i+1 : i+j]))
		rest = rest[i+j+1:]
		p := rulePart{token: tok}
		if name, n, ok := strings.Cut(tok, ":"); ok && name == "random" {
			v, err := strconv.Atoi(n)
			if err != nil || v < 1 || v > 8 {
				return nil, fmt.Errorf("%w: %q: {random:N} needs N of 1-8", ErrRule, s)
			}
			p = rulePart{token: "random", n: v}
		}
		switch p.token {
		case "first", "last", "email", "discount":
		case "random":
			if p.n == 0 {
				p.n = 4
			}
		default:
			return nil, fmt.Errorf("%w: %q: unknown placeholder {%s} (want first, last, email, discount, random)", ErrRule, s, tok)
		}
		r.parts = append(r.parts, p)
	}
	hasToken := false
	for _, p := range r.parts {
		if p.token != "" {
			hasToken = true
		}
		if p.token == "" {
			if _, err := promocode.Normalize("X" + p.lit); err != nil {
				return nil, fmt.Errorf("%w: %q: literal %q: %v", ErrRule, s, p.lit, trimPkg(err))
			}
		}
	}
	if !hasToken {
		return nil, fmt.Errorf("%w: %q has no placeholder, so every affiliate would get the same code", ErrRule, s)
	}
	return r, nil
}

// MustParseRule is ParseRule for rules known to be valid.
func MustParseRule(s string) *Rule {
	r, err := ParseRule(s)
	if err != nil {
		panic(err)
	}
	return r
}

func (r *Rule) String() string { return r.src }

// hasRandom reports whether the rule draws random characters.
func (r *Rule) hasRandom() bool {
	for _, p := range r.parts {
		if p.token == "random" {
			return true
		}
	}
	return false
}

// Generate returns the first candidate code for a that taken does not
// report, in normalised form. discount is the {discount} text (see
// DiscountText). Candidates are deterministic: the same affiliate, rule and
// taken set give the same code. Attempt 0 renders the rule; when it is
// taken, rules with {random} draw new characters (seeded by the affiliate
// id and the attempt), and rules without append two characters from
// Alphabet the same way (three after 50 attempts).
func (r *Rule) Generate(a Affiliate, discount string, taken func(code string) bool) (string, error) {
	if strings.TrimSpace(a.ID) == "" {
		return "", fmt.Errorf("%w: affiliate id is required", ErrRule)
	}
	first, last := splitName(a.Name)
	vals := map[string]string{"first": first, "last": last, "email": emailPart(a.Email), "discount": discount}
	for _, p := range r.parts {
		if p.token != "" && p.token != "random" && vals[p.token] == "" {
			return "", fmt.Errorf("%w: affiliate %s has no usable {%s}", ErrRule, a.ID, p.token)
		}
	}
	base := ""
	for attempt := 0; attempt < 200; attempt++ {
		var c string
		if attempt == 0 || r.hasRandom() {
			c = r.render(vals, a.ID, attempt)
			if attempt == 0 {
				base = c
			}
		} else {
			n := 2
			if attempt > 50 {
				n = 3
			}
			c = base + seeded(a.ID, r.src, attempt, n)
		}
		code, err := promocode.Normalize(c)
		if err != nil {
			return "", fmt.Errorf("generating a code for affiliate %s: %w", a.ID, err)
		}
		if !taken(code) {
			return code, nil
		}
	}
	return "", fmt.Errorf("%w: %q for affiliate %s", ErrExhausted, r.src, a.ID)
}

func (r *Rule) render(vals map[string]string, seed string, attempt int) string {
	var b strings.Builder
	for i, p := range r.parts {
		switch p.token {
		case "":
			b.WriteString(p.lit)
		case "random":
			b.WriteString(seeded(seed, r.src+"#"+strconv.Itoa(i), attempt, p.n))
		default:
			b.WriteString(vals[p.token])
		}
	}
	return strings.ToUpper(b.String())
}

// seeded returns n characters of Alphabet derived from the affiliate id,
// a salt and the attempt number.
func seeded(id, salt string, attempt, n int) string {
	h := sha256.New()
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(len(id)))
	h.Write(buf[:])
	h.Write([]byte(id))
	binary.BigEndian.PutUint64(buf[:], uint64(len(salt)))
	h.Write(buf[:])
	h.Write([]byte(salt))
	binary.BigEndian.PutUint64(buf[:], uint64(attempt))
	h.Write(buf[:])
	sum := h.Sum(nil)
	out := make([]byte, n)
	for i := range out {
		v := binary.BigEndian.Uint32(sum[i*4:])
		out[i] = Alphabet[v%uint32(len(Alphabet))]
	}
	return string(out)
}

// splitName returns the folded first and last words of a full name; last
// is empty for a one-word name.
func splitName(name string) (first, last string) {
	words := strings.Fields(name)
	var folded []string
	for _, w := range words {
		if f := fold(w); f != "" {
			folded = append(folded, f)
		}
	}
	if len(folded) == 0 {
		return "", ""
	}
	if len(folded) == 1 {
		return folded[0], ""
	}
	return folded[0], folded[len(folded)-1]
}

func emailPart(email string) string {
	local, _, _ := strings.Cut(strings.TrimSpace(email), "@")
	local, _, _ = strings.Cut(local, "+")
	return fold(local)
}

// fold maps s to upper-case ASCII letters and digits: accents are dropped
// (NFD, marks removed), anything else is removed; at most maxNamePart
// characters.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToUpper(r)
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			if b.Len() == maxNamePart {
				break
			}
		}
	}
	return b.String()
}

// DiscountText renders a discount for {discount}: whole percentages and
// whole currency amounts as their number ("10", "5"), fractions without the
// decimal point (12.5% -> "125", 4.99 USD -> "499").
func DiscountText(discountType string, value int64, currency *string) string {
	var s string
	if discountType == registry.Fixed && currency != nil {
		s = money.Format(value, *currency)
		if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
			s = s[:i]
		}
	} else {
		s = registry.FormatBP(value)
	}
	return strings.ReplaceAll(strings.TrimPrefix(s, "-"), ".", "")
}
