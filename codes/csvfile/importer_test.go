package csvfile

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
)

func ptr[T any](v T) *T { return &v }

// plan reads csv and plans it against the codes in l.
func plan(t *testing.T, l registry.Lookup, csv string, opts ImportOptions) ([]registry.Change, *Report) {
	t.Helper()
	s, err := ReadCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("ReadCSV: %v", err)
	}
	changes, _, rep := Plan(l, s, opts)
	return changes, rep
}

func existing() registry.Lookup {
	return registry.NewMemLookup(
		schemas.Code{Code: "SARAH10", DisplayCode: "SARAH10", CouponID: "spring", AffiliateID: "aff_sarah", DiscountType: registry.Percent, DiscountValue: 1000, Status: registry.StatusActive, Version: 3},
		schemas.Code{Code: "PADDLE-ONLY", DisplayCode: "paddle-only", CouponID: "spring", AffiliateID: "aff_p", DiscountType: registry.Percent, DiscountValue: 1000, Status: registry.StatusActive, Version: 1,
			Platforms: []schemas.PlatformSync{{Platform: registry.PlatformPaddle, StoreID: "acct", Status: registry.SyncFailed}}},
	)
}

func TestPlanRowErrors(t *testing.T) {
	const head = "code,affiliate_id,affiliate_name,discount_type,discount_value,currency,valid_from,valid_until,min_order,max_uses,commission_type,commission_value,recurring_months,once_per_customer,status\n"
	tests := []struct {
		name  string
		rows  string
		opts  ImportOptions
		line  int
		field string
		msg   string // substring of the message
	}{
		{"duplicate case-insensitive", "JOHN20,aff_1,John,percent,20,,,,,,,,,,\njohn20,aff_2,Jo,percent,20,,,,,,,,,,\n", ImportOptions{}, 3, "code", "duplicates line 2"},
		{"duplicate full-width", "JOHN20,aff_1,John,percent,20,,,,,,,,,,\nＪＯＨＮ２０,aff_2,Jo,percent,20,,,,,,,,,,\n", ImportOptions{}, 3, "code", "duplicates line 2"},
		{"empty code", ",aff_1,John,percent,20,,,,,,,,,,\n", ImportOptions{}, 2, "code", "required"},
		{"space in code", "JOHN 20,aff_1,John,percent,20,,,,,,,,,,\n", ImportOptions{}, 2, "code", "space"},
		{"missing affiliate", "JOHN20,,John,percent,20,,,,,,,,,,\n", ImportOptions{}, 2, "affiliate_id", "required"},
		{"malformed date", "JOHN20,aff_1,John,percent,20,,2026-13-01,,,,,,,,\n", ImportOptions{}, 2, "valid_from", "not an ISO-8601"},
		{"malformed until", "JOHN20,aff_1,John,percent,20,,,31/12/2026,,,,,,,\n", ImportOptions{}, 2, "valid_until", "not an ISO-8601"},
		{"until before from", "JOHN20,aff_1,John,percent,20,,2026-06-01,2026-05-31,,,,,,,\n", ImportOptions{}, 2, "valid_until", "before valid_from"},
		{"negative percent", "JOHN20,aff_1,John,percent,-5,,,,,,,,,,\n", ImportOptions{}, 2, "discount_value", "negative"},
		{"negative fixed", "JOHN20,aff_1,John,fixed,-5.00,USD,,,,,,,,,\n", ImportOptions{}, 2, "discount_value", "negative"},
		{"percent over 100", "JOHN20,aff_1,John,percent,100.5,,,,,,,,,,\n", ImportOptions{}, 2, "discount_value", "over 100"},
		{"percent not a number", "JOHN20,aff_1,John,percent,ten,,,,,,,,,,\n", ImportOptions{}, 2, "discount_value", "not a percentage"},
		{"fixed without currency", "JOHN20,aff_1,John,fixed,5,,,,,,,,,,\n", ImportOptions{}, 2, "discount_value", "needs currency"},
		{"fixed too precise", "JOHN20,aff_1,John,fixed,5.001,USD,,,,,,,,,\n", ImportOptions{}, 2, "discount_value", "not an amount in USD"},
		{"unknown currency", "JOHN20,aff_1,John,fixed,5,XYZ,,,,,,,,,\n", ImportOptions{}, 2, "currency", "ISO-4217"},
		{"bad discount type", "JOHN20,aff_1,John,bogo,5,,,,,,,,,,\n", ImportOptions{}, 2, "discount_type", "want percent or fixed"},
		{"negative min order", "JOHN20,aff_1,John,percent,20,USD,,,-1,,,,,,\n", ImportOptions{}, 2, "min_order", "negative"},
		{"min order no currency", "JOHN20,aff_1,John,percent,20,,,,30,,,,,,\n", ImportOptions{}, 2, "min_order", "needs currency"},
		{"max uses zero", "JOHN20,aff_1,John,percent,20,,,,,0,,,,,\n", ImportOptions{}, 2, "max_uses", "at least 1"},
		{"max uses text", "JOHN20,aff_1,John,percent,20,,,,,many,,,,,\n", ImportOptions{}, 2, "max_uses", "whole number"},
		{"commission over 100", "JOHN20,aff_1,John,percent,20,,,,,,percent,101,,,\n", ImportOptions{}, 2, "commission_value", "over 100"},
		{"commission negative", "JOHN20,aff_1,John,percent,20,USD,,,,,fixed,-2,,,\n", ImportOptions{}, 2, "commission_value", "negative"},
		{"commission value without type", "JOHN20,aff_1,John,percent,20,,,,,,,15,,,\n", ImportOptions{}, 2, "commission_type", "required"},
		{"recurring months out of range", "JOHN20,aff_1,John,percent,20,,,,,,percent,15,999,,\n", ImportOptions{}, 2, "recurring_months", "want 0 to 120"},
		{"bad boolean", "JOHN20,aff_1,John,percent,20,,,,,,,,,maybe,\n", ImportOptions{}, 2, "once_per_customer", "true/false"},
		{"bad status", "JOHN20,aff_1,John,percent,20,,,,,,,,,,deleted\n", ImportOptions{}, 2, "status", "active, paused or inactive"},
		{"paddle rejects dash", "PARTNER-JOHN,aff_1,John,percent,20,,,,,,,,,,\n", ImportOptions{Platforms: []string{registry.PlatformPaddle}}, 2, "code", "paddle allows only letters and digits"},
		{"paddle too long", "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567,aff_1,John,percent,20,,,,,,,,,,\n", ImportOptions{Platforms: []string{registry.PlatformPaddle}}, 2, "code", "at most 32"},
		{"stripe rejects symbol", "30$OFF,aff_1,John,percent,20,,,,,,,,,,\n", ImportOptions{Platforms: []string{registry.PlatformStripe}}, 2, "code", "stripe allows only"},
		{"synced platform checked", "paddle-only,aff_p,,percent,10,,,,,,,,,,\n", ImportOptions{}, 2, "code", "paddle allows only"},
		{"reassign refused", "sarah10,aff_other,Other,percent,10,,,,,,,,,,\n", ImportOptions{}, 2, "affiliate_id", `belongs to affiliate "aff_sarah"`},
		{"unknown affiliate", "NEW1,aff_ghost,,percent,20,,,,,,,,,,\n", ImportOptions{RequireKnownAffiliates: true}, 2, "affiliate_id", "unknown affiliate"},
		{"coupon discount clash in file", "A1,aff_1,A,percent,20,,,,,,,,,,\nA2,aff_2,B,percent,25,,,,,,,,,,\n", ImportOptions{}, 0, "", ""},
		{"wrong field count", "JOHN20,aff_1\n", ImportOptions{}, 2, "", "has 2 fields, the header has 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, rep := plan(t, existing(), head+tt.rows, tt.opts)
			if tt.msg == "" {
				if !rep.OK() {
					t.Fatalf("want no errors, got %v", rep.Errors)
				}
				return
			}
			if rep.OK() {
				t.Fatalf("want an error on line %d field %q, got none (changes %d)", tt.line, tt.field, len(changes))
			}
			for _, e := range rep.Errors {
				if e.Line == tt.line && e.Field == tt.field && strings.Contains(e.Message, tt.msg) {
					return
				}
			}
			t.Fatalf("want line %d field %q containing %q; got %v", tt.line, tt.field, tt.msg, rep.Errors)
		})
	}
}

func TestPlanCouponShared(t *testing.T) {
	csv := "code,affiliate_id,coupon,discount_type,discount_value\nA1,aff_1,launch,percent,20\nA2,aff_2,launch,percent,25\nB1,aff_3,spring,percent,15\n"
	_, rep := plan(t, existing(), csv, ImportOptions{})
	if rep.Failed != 2 {
		t.Fatalf("failed = %d, want 2 (A2 clashes with A1; B1 with SARAH10 in the registry): %v", rep.Failed, rep.Errors)
	}
	if e := rep.Errors[0]; e.Line != 3 || e.Field != "discount_value" || !strings.Contains(e.Message, `coupon "launch" gives 20% (line 2)`) {
		t.Fatalf("first error = %v", e)
	}
	if e := rep.Errors[1]; e.Line != 4 || !strings.Contains(e.Message, "in the registry") {
		t.Fatalf("second error = %v", e)
	}
}

func TestPlanAtomicAndPartial(t *testing.T) {
	csv := "code,affiliate_id,discount_value\nOK1,aff_1,10\nBAD,aff_2,200\nOK2,aff_3,10\n"
	changes, rep := plan(t, existing(), csv, ImportOptions{})
	if len(changes) != 2 || rep.Created != 2 || rep.Failed != 1 {
		t.Fatalf("non-atomic: %d changes, report %+v", len(changes), rep)
	}
	changes, rep = plan(t, existing(), csv, ImportOptions{Atomic: true})
	if len(changes) != 0 || rep.Failed != 1 {
		t.Fatalf("atomic: %d changes, report %+v", len(changes), rep)
	}
}

func TestPlanUpdateKeepsAbsentColumns(t *testing.T) {
	l := registry.NewMemLookup(schemas.Code{Code: "JOHN20", DisplayCode: "JOHN20", CouponID: "c", AffiliateID: "aff_1", AffiliateName: ptr("John"),
		DiscountType: registry.Percent, DiscountValue: 2000, Status: registry.StatusActive, MaxUses: ptr(int64(50)), Version: 4,
		Platforms: []schemas.PlatformSync{{Platform: registry.PlatformStripe, StoreID: "acct_1", RemoteID: ptr("promo_1"), Status: registry.SyncSynced}}})
	changes, rep := plan(t, l, "code,affiliate_id,status\njohn20,aff_1,paused\n", ImportOptions{})
	if rep.Updated != 1 || len(changes) != 1 {
		t.Fatalf("report %+v", rep)
	}
	c := changes[0]
	if c.Base != 4 || c.Value.Status != registry.StatusPaused || *c.Value.MaxUses != 50 || c.Value.DiscountValue != 2000 || deref(c.Value.AffiliateName) != "John" {
		t.Fatalf("change = %+v / %+v", c, c.Value)
	}
	if len(c.Value.Platforms) != 1 || *c.Value.Platforms[0].RemoteID != "promo_1" {
		t.Fatalf("platforms not kept: %+v", c.Value.Platforms)
	}
	// The same file again against the result changes nothing.
	updated := *c.Value
	updated.Version = 5
	_, rep = plan(t, registry.NewMemLookup(updated), "code,affiliate_id,status\njohn20,aff_1,paused\n", ImportOptions{})
	if rep.Unchanged != 1 {
		t.Fatalf("re-import: %+v", rep)
	}
}

func TestPlanValues(t *testing.T) {
	csv := "Code , AFFILIATE_ID,discount_type,discount_value,currency,valid_from,valid_until,min_order,max_uses,once_per_customer,first_order_only,requires_click,allowed_affiliates,commission_type,commission_value,recurring_months\n" +
		"Sarah-15 ,aff_1,fixed,15.50,eur,2026-03-01,2026-03-31,40,100,yes,1,TRUE,aff_2;aff_3,fixed,5,6\n"
	changes, rep := plan(t, registry.NewMemLookup(), csv, ImportOptions{})
	if !rep.OK() || len(changes) != 1 {
		t.Fatalf("report %+v", rep)
	}
	c := changes[0].Value
	want := schemas.Code{
		Code: "SARAH-15", DisplayCode: "Sarah-15", CouponID: "fixed-15.50-eur", AffiliateID: "aff_1",
		DiscountType: registry.Fixed, DiscountValue: 1550, Currency: ptr("EUR"), Status: registry.StatusActive,
		ValidFrom:  ptr(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
		ValidUntil: ptr(time.Date(2026, 3, 31, 23, 59, 59, 999e6, time.UTC)),
		MaxUses:    ptr(int64(100)), OncePerCustomer: true, MinOrder: ptr(int64(4000)), FirstOrderOnly: true, RequiresClick: true,
		AllowedAffiliates: []string{"aff_2", "aff_3"},
		Commission:        &schemas.CommissionRule{Type: registry.Fixed, Value: 500, Currency: ptr("EUR"), RecurringMonths: 6},
	}
	if !registry.SameDefinition(c, &want) {
		t.Fatalf("got  %+v\nwant %+v", *c, want)
	}
}

func TestReadCSVHeader(t *testing.T) {
	tests := []struct{ csv, msg string }{
		{"", "empty file"},
		{"code,affiliate_id,colour\n", `unknown column "colour"`},
		{"code,Code,affiliate_id\n", `column "code" appears twice`},
		{"code,discount_value\n", `missing required column "affiliate_id"`},
		{"code,affiliate_id\n\"unterminated,aff\n", "extraneous or missing"},
	}
	for _, tt := range tests {
		_, err := ReadCSV(strings.NewReader(tt.csv))
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ReadCSV(%q) = %v, want ErrFormat with %q", tt.csv, err, tt.msg)
		}
	}
	s, err := ReadCSV(strings.NewReader("\ufeffcode,affiliate_id\r\nA1,aff\r\n"))
	if err != nil || s.Len() != 1 || !s.Has("code") {
		t.Fatalf("BOM and CRLF: %v %+v", err, s)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in    string
		end   bool
		want  time.Time
		isErr bool
	}{
		{"2026-03-31", false, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), false},
		{"2026-03-31", true, time.Date(2026, 3, 31, 23, 59, 59, 999e6, time.UTC), false},
		{"2026-03-31T18:00:00Z", true, time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC), false},
		{"2026-03-31T18:00:00+02:00", false, time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC), false},
		{"2026-03-31T18:00", false, time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC), false},
		{"2026-03-31 18:00:00", false, time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC), false},
		{"31.03.2026", false, time.Time{}, true},
		{"2026-02-30", false, time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tt.end)
		if (err != nil) != tt.isErr || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q, %v) = %v, %v; want %v", tt.in, tt.end, got, err, tt.want)
		}
		if err == nil {
			if back := registry.FormatTime(&got, tt.end); back != tt.in && !strings.HasSuffix(tt.in, "Z") && !strings.Contains(tt.in, "+") && len(tt.in) == 10 {
				t.Errorf("formatTime round trip %q -> %q", tt.in, back)
			}
		}
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	s, err := ReadCSV(strings.NewReader(exampleCSV(t)))
	if err != nil {
		t.Fatal(err)
	}
	changes, _, rep := Plan(registry.NewMemLookup(), s, ImportOptions{})
	if !rep.OK() {
		t.Fatalf("example.csv: %v", rep.Errors)
	}
	var stored []schemas.Code
	for _, ch := range changes {
		c := *ch.Value
		c.Version = 1
		stored = append(stored, c)
	}
	var out strings.Builder
	if err := WriteCSV(&out, registry.NewMemLookup(stored...).All()); err != nil {
		t.Fatal(err)
	}
	_, rep = plan(t, registry.NewMemLookup(stored...), out.String(), ImportOptions{})
	if !rep.OK() || rep.Unchanged != len(stored) {
		t.Fatalf("re-import of export: %+v\n%s", rep, out.String())
	}
}

func TestPlatformWarningsWhenUnknown(t *testing.T) {
	_, rep := plan(t, registry.NewMemLookup(), "code,affiliate_id\nPARTNER-JOHN-X7,aff_1\n", ImportOptions{})
	if !rep.OK() || rep.WarningsTotal != 1 || !strings.Contains(rep.Warnings[0].Message, "paddle") {
		t.Fatalf("report %+v", rep)
	}
}

func TestPlanGenerate(t *testing.T) {
	l := registry.NewMemLookup(schemas.Code{Code: "JOHN20", DisplayCode: "JOHN20", CouponID: "percent-20", AffiliateID: "aff_old", DiscountType: registry.Percent, DiscountValue: 2000, Status: registry.StatusActive, Version: 1})
	csv := "affiliate_id,affiliate_name,affiliate_email\naff_1,John Smith,john@example.com\naff_2,John Doe,jd@example.com\naff_old,John Old,\naff_1,John Smith,\n"
	opts := ImportOptions{Rule: MustParseRule("{first}{discount}"), Defaults: map[string]string{"discount_value": "20"}, Results: true}
	changes, rep := plan(t, l, csv, opts)
	if !rep.OK() || len(changes) != 2 {
		t.Fatalf("report %+v", rep)
	}
	got := []string{rep.Results[0].Code, rep.Results[1].Code, rep.Results[2].Code, rep.Results[3].Code}
	if got[2] != "JOHN20" || got[3] != got[0] || got[0] == "JOHN20" || got[1] == got[0] {
		t.Fatalf("codes %v", got)
	}
	// Deterministic: the same input gives the same codes.
	_, rep2 := plan(t, l, csv, opts)
	for i := range rep.Results {
		if rep.Results[i] != rep2.Results[i] {
			t.Fatalf("not deterministic: %v vs %v", rep.Results[i], rep2.Results[i])
		}
	}
}

// Platform problems read as field messages, without the package prefix of
// the registry's error: errors for the platforms the program syncs to,
// warnings for every platform when none is named.
func TestPlanPlatformMessages(t *testing.T) {
	csv := "code,affiliate_id\nSUMMER_25,aff_1\n"
	tests := []struct {
		name      string
		platforms []string
		errors    []string
		warnings  []string
	}{
		{"synced to paddle", []string{registry.PlatformPaddle}, []string{
			`line 2 (SUMMER_25): code: code not accepted by platform: paddle allows only letters and digits, "SUMMER_25" contains '_'`,
		}, nil},
		{"no platform named", nil, nil, []string{
			`line 2 (SUMMER_25): code: code not accepted by platform: stripe allows only letters, digits and '-', "SUMMER_25" contains '_'`,
			`line 2 (SUMMER_25): code: code not accepted by platform: paddle allows only letters and digits, "SUMMER_25" contains '_'`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadCSV(strings.NewReader(csv))
			if err != nil {
				t.Fatal(err)
			}
			_, _, rep := Plan(registry.NewMemLookup(), s, ImportOptions{Platforms: tt.platforms})
			var errs, warns []string
			for _, e := range rep.Errors {
				errs = append(errs, e.Error())
			}
			for _, e := range rep.Warnings {
				warns = append(warns, e.Error())
			}
			if !slices.Equal(errs, tt.errors) || !slices.Equal(warns, tt.warnings) {
				t.Fatalf("errors %q\nwarnings %q\nwant errors %q\nwarnings %q", errs, warns, tt.errors, tt.warnings)
			}
		})
	}
}
