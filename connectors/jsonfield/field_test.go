package jsonfield

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecimal(t *testing.T) {
	tests := []struct {
		name, in string
		want     Decimal
		wantErr  string
	}{
		{"string", `"59.90"`, "59.90", ""},
		{"string trimmed", `" 59.90 "`, "59.90", ""},
		{"number kept as text", `59.9`, "59.9", ""},
		{"negative number", `-1.5`, "-1.5", ""},
		{"exponent kept as written", `1e2`, "1e2", ""},
		{"null", `null`, "", ""},
		{"empty string", `""`, "", ""},
		{"bool", `true`, "", "amount true is neither a string nor a number"},
		{"object", `{"amount":"1"}`, "", "is neither a string nor a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				D Decimal `json:"d"`
			}
			err := json.Unmarshal([]byte(`{"d":`+tt.in+`}`), &v)
			checkErr(t, err, tt.wantErr)
			if err == nil && v.D != tt.want {
				t.Fatalf("got %q, want %q", v.D, tt.want)
			}
		})
	}
}

func TestID(t *testing.T) {
	tests := []struct {
		name, in string
		want     ID
		wantErr  string
	}{
		{"integer", `450789469`, "450789469", ""},
		{"string", `"gid://shopify/Order/1"`, "gid://shopify/Order/1", ""},
		{"string trimmed", `" 7 "`, "7", ""},
		{"null", `null`, "", ""},
		{"negative", `-1`, "", "id -1 is not a non-negative integer or a string"},
		{"fraction", `1.5`, "", "is not a non-negative integer or a string"},
		{"bool", `false`, "", "is not a non-negative integer or a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				ID ID `json:"id"`
			}
			err := json.Unmarshal([]byte(`{"id":`+tt.in+`}`), &v)
			checkErr(t, err, tt.wantErr)
			if err == nil && v.ID != tt.want {
				t.Fatalf("got %q, want %q", v.ID, tt.want)
			}
		})
	}
}

func TestIDCheck(t *testing.T) {
	tests := []struct {
		name     string
		id       ID
		required bool
		want     string
		wantErr  string
	}{
		{"present", "42", true, "42", ""},
		{"absent optional", "", false, "", ""},
		{"absent required", "", true, "", "order id is missing"},
		{"128 bytes", ID(strings.Repeat("a", 128)), true, strings.Repeat("a", 128), ""},
		{"too long", ID(strings.Repeat("a", 129)), true, "", "order id is longer than 128 bytes"},
		{"control character", "4\x002", true, "", "order id contains a control character"},
		{"delete character", "4\x7f", false, "", "order id contains a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.id.Check("order id", tt.required)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLooseString(t *testing.T) {
	tests := []struct {
		name, in string
		want     LooseString
	}{
		{"string trimmed", `" SPRING10 "`, "SPRING10"},
		{"number", `10`, ""},
		{"object", `{"a":1}`, ""},
		{"null", `null`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := struct {
				S LooseString `json:"s"`
			}{S: "previous"}
			if err := json.Unmarshal([]byte(`{"s":`+tt.in+`}`), &v); err != nil {
				t.Fatal(err)
			}
			if v.S != tt.want {
				t.Fatalf("got %q, want %q", v.S, tt.want)
			}
		})
	}
}

func TestAbbrev(t *testing.T) {
	if got := Abbrev([]byte("short")); got != "short" {
		t.Fatalf("got %q", got)
	}
	long := strings.Repeat("x", 40)
	if got, want := Abbrev([]byte(long)), strings.Repeat("x", 32)+"..."; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// FuzzFields checks that no input panics, that a Decimal read from a JSON
// number is that number to the byte, and that LooseString never fails.
func FuzzFields(f *testing.F) {
	for _, s := range []string{`"59.90"`, `59.9`, ` -0.5 `, `null`, `-1`, `1e2`, `true`, `"\u0000"`, `{}`, `[1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		var d Decimal
		err := json.Unmarshal([]byte(in), &d)
		var num json.Number
		if tr := strings.TrimSpace(in); json.Unmarshal([]byte(in), &num) == nil && tr != "null" && !strings.HasPrefix(tr, `"`) {
			if err != nil || string(d) != strings.TrimSpace(in) {
				t.Fatalf("number %q read as %q, %v", in, d, err)
			}
		}
		var id ID
		if err := json.Unmarshal([]byte(in), &id); err == nil {
			_, _ = id.Check("id", true)
		}
		var s LooseString
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Fatalf("loose string failed on %q: %v", in, err)
		}
	})
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
