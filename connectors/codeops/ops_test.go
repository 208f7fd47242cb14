package codeops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/codes/registry/registrytest"
)

// openTest opens a writing Codes on a fresh codes topic of a kfake
// cluster, over real TCP.
func openTest(t *testing.T) *Codes {
	t.Helper()
	k := registrytest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), registrytest.Wait(t))
	defer cancel()
	c, err := Open(ctx, Config{Conn: k.Conn, Topic: k.Topic(t), Serde: k.Serde, Write: true, WaitTimeout: registrytest.Wait(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestOperations runs the codes subcommands' operations one after the
// other on one registry and checks what each writes and returns.
func TestOperations(t *testing.T) {
	c := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), registrytest.Wait(t))
	defer cancel()

	csv := "code,affiliate_id,discount_value\nsarah10,aff_1,10\njohn15,aff_2,15\n,aff_3,5\n"
	var out bytes.Buffer
	err := c.Import(ctx, strings.NewReader(csv), "launch.csv", csvfile.ImportOptions{}, &out, false)
	if err == nil || err.Error() != "1 of 3 rows failed" {
		t.Errorf("import: %v, want 1 of 3 rows failed", err)
	}
	if !strings.HasPrefix(out.String(), "3 rows: 2 created, 0 updated, 0 unchanged, 1 failed; 2 written in ") || !strings.Contains(out.String(), "\nerror: ") {
		t.Errorf("import report:\n%s", out.String())
	}
	if err := c.Import(ctx, strings.NewReader("no,header\n"), "bad.csv", csvfile.ImportOptions{}, &out, false); err == nil || !strings.HasPrefix(err.Error(), "bad.csv: ") {
		t.Errorf("import of a file without the required columns: %v", err)
	}

	out.Reset()
	var errOut bytes.Buffer
	if err := c.List(&out, &errOut, ListConfig{}); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	if !strings.HasPrefix(table, "CODE") || !strings.Contains(table, "sarah10  aff_1") || !strings.Contains(table, "10%") || errOut.String() != "2 codes\n" {
		t.Errorf("list table:\n%s\nstderr %q", table, errOut.String())
	}
	out.Reset()
	if err := c.List(&out, &errOut, ListConfig{Format: "json", Filter: registry.Filter{Affiliate: "aff_2"}}); err != nil {
		t.Fatal(err)
	}
	var entries []csvfile.Entry
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil || len(entries) != 1 || entries[0].Code != "JOHN15" {
		t.Errorf("list json: %v %+v", err, entries)
	}
	if err := c.List(&out, &errOut, ListConfig{Format: "xml"}); !isConfigErr(err) {
		t.Errorf("list --format xml: %v, want a configuration error", err)
	}

	file := filepath.Join(t.TempDir(), "codes.csv")
	if err := c.Export(&out, registry.Filter{}, file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(b), "\nsarah10,aff_1,") || !strings.Contains(string(b), "\njohn15,aff_2,") {
		t.Errorf("export: %v\n%s", err, b)
	}

	deactivate := func(l registry.Lookup) []registry.Change { return registry.Deactivate(l, "aff_1") }
	out.Reset()
	if err := c.Bulk(ctx, &out, true, deactivate); err != nil || out.String() != "SARAH10\n1 codes would become inactive\n" {
		t.Errorf("bulk dry run: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := c.Bulk(ctx, &out, false, deactivate); err != nil || out.String() != "SARAH10\n1 codes made inactive\n" {
		t.Errorf("bulk: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := c.List(&out, &errOut, ListConfig{Filter: registry.Filter{Status: "inactive"}}); err != nil || !strings.Contains(out.String(), "sarah10  aff_1      percent-10  10%       inactive") {
		t.Errorf("after deactivate: %v\n%s", err, out.String())
	}
}

func TestGenerate(t *testing.T) {
	c := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), registrytest.Wait(t))
	defer cancel()
	ten := "10"
	for _, tt := range []struct {
		name string
		gen  Generate
		want string // error text; "" for none
	}{
		{"no rule", Generate{Affiliate: "aff_1"}, "--rule is required"},
		{"both sources", Generate{Rule: "{first}", Affiliate: "a", From: "f.csv"}, "give --affiliate or --from, not both"},
		{"no source", Generate{Rule: "{first}"}, "give --affiliate or --from, not both"},
		{"bad set", Generate{Rule: "{first}", Affiliate: "a", Set: []string{"novalue"}}, `--set "novalue": want column=value`},
		{"bad rule", Generate{Rule: "{nosuch}", Affiliate: "a"}, "nosuch"},
		{"missing file", Generate{Rule: "{first}", From: filepath.Join(t.TempDir(), "none.csv")}, "no such file"},
	} {
		err := tt.gen.Validate()
		if err == nil {
			_, err = tt.gen.Options(csvfile.ImportOptions{})
		}
		if err == nil {
			_, err = tt.gen.Sheet()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !isConfigErr(err) {
			t.Errorf("%s: %v, want a configuration error with %q", tt.name, err, tt.want)
		}
	}
	gen := Generate{Rule: "{first}{discount}", Affiliate: "aff_9", Name: "Sarah Lee", Columns: map[string]*string{"discount_value": &ten, "status": new(string)}, Set: []string{"coupon=launch"}}
	opts, err := gen.Options(csvfile.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Defaults) != 2 || opts.Defaults["discount_value"] != "10" || opts.Defaults["coupon"] != "launch" || !opts.Results {
		t.Errorf("options: %+v", opts)
	}
	sheet, err := gen.Sheet()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := c.Apply(ctx, sheet, opts, &out, false); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "line 2: create aff_9 -> SARAH10") {
		t.Errorf("generate report:\n%s", out.String())
	}
}

func TestSyncConfigErrors(t *testing.T) {
	if _, err := Remotes(""); err == nil || err.Error() != "--stores-file is required" || !isConfigErr(err) {
		t.Errorf("no stores file: %v", err)
	}
	if _, err := Remotes(filepath.Join(t.TempDir(), "none.yaml")); !isConfigErr(err) {
		t.Errorf("missing stores file: %v", err)
	}
	keys, err := selection(nil, registry.Filter{}, []string{" sarah10 ", "john15"})
	if err != nil || strings.Join(keys, ",") != "SARAH10,JOHN15" {
		t.Errorf("named selection: %v %v", keys, err)
	}
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	p := NewProgressBar(&out)
	p.Update("validate", 0, 4)
	p.Update("validate", 1, 4) // within 100ms of the last: not drawn
	p.Update("validate", 4, 4) // final: drawn
	want := "\rvalidate [------------------------------]   0% 0/4" +
		"\rvalidate [##############################] 100% 4/4\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

func isConfigErr(err error) bool {
	var c *ConfigError
	return err != nil && errors.As(err, &c)
}
