package coderesolve_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/heldsway/heldsway/connectors/coderesolve"
)

var (
	errNotFound  = errors.New("test: not found")
	errTemporary = errors.New("test: temporary")
	kind         = coderesolve.Kind{Noun: "discount", NotFound: errNotFound, Temporary: errTemporary}
)

// static is a fixed map source.
type static map[string]string

func (s static) Code(_ context.Context, _, id string) (string, error) { return kind.Lookup(s, id) }

// failing always fails with err and counts its calls.
type failing struct {
	err   error
	calls int
}

func (f *failing) Code(context.Context, string, string) (string, error) {
	f.calls++
	return "", f.err
}

func TestFirst(t *testing.T) {
	down := errors.New("dial tcp: refused")
	tests := []struct {
		name    string
		sources []coderesolve.Source
		id      string
		want    string
		wantErr error
		wantMsg string
	}{
		{"first source wins", []coderesolve.Source{static{"d1": "REG"}, static{"d1": "API"}}, "d1", "REG", nil, ""},
		{"falls through", []coderesolve.Source{static{}, static{"d1": "API"}}, "d1", "API", nil, ""},
		{"empty code is a hit", []coderesolve.Source{static{"d1": ""}, static{"d1": "API"}}, "d1", "", nil, ""},
		{"hit after a failure", []coderesolve.Source{&failing{err: down}, static{"d1": "API"}}, "d1", "API", nil, ""},
		{"none knows", []coderesolve.Source{static{}, static{}}, "d1", "", errNotFound, "test: not found: discount d1"},
		{"no sources", nil, "d1", "", errNotFound, "test: not found: discount d1"},
		{"nil source skipped", []coderesolve.Source{nil, static{"d1": "X"}}, "d1", "X", nil, ""},
		{"failure and no hit is temporary", []coderesolve.Source{static{}, &failing{err: down}}, "d1", "", errTemporary,
			"test: temporary: resolving discount d1: dial tcp: refused"},
		{"temporary failure kept as is", []coderesolve.Source{&failing{err: fmt.Errorf("%w: busy", errTemporary)}}, "d1", "", errTemporary,
			"test: temporary: busy"},
		{"first failure reported", []coderesolve.Source{&failing{err: down}, &failing{err: errors.New("second")}}, "d1", "", errTemporary,
			"test: temporary: resolving discount d1: dial tcp: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coderesolve.First(context.Background(), kind, tt.sources, "store", tt.id)
			if got != tt.want {
				t.Errorf("code = %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || err.Error() != tt.wantMsg):
				t.Fatalf("error = %v, want %q wrapping %v", err, tt.wantMsg, tt.wantErr)
			}
		})
	}
}

// Every source is asked until one knows the id, and no further.
func TestFirstStopsAtHit(t *testing.T) {
	after := &failing{err: errNotFound}
	if _, err := coderesolve.First(context.Background(), kind, []coderesolve.Source{static{"d1": "X"}, after}, "s", "d1"); err != nil {
		t.Fatal(err)
	}
	if after.calls != 0 {
		t.Fatalf("source after the hit asked %d times", after.calls)
	}
}

// Sources typed as a platform's own interface work too.
type platformCodes interface {
	Code(ctx context.Context, storeID, promoID string) (string, error)
}

func TestFirstPlatformInterface(t *testing.T) {
	sources := []platformCodes{nil, static{"promo_1": "SPRING"}}
	if got, err := coderesolve.First(context.Background(), kind, sources, "s", "promo_1"); got != "SPRING" || err != nil {
		t.Fatalf("got %q, %v", got, err)
	}
}

func ExampleFirst() {
	registry := static{"dsc_1": "SPRING10"}
	api := static{"dsc_2": "SUMMER20"}
	for _, id := range []string{"dsc_1", "dsc_2", "dsc_3"} {
		code, err := coderesolve.First(context.Background(), kind, []coderesolve.Source{registry, api}, "store", id)
		fmt.Println(code, err, errors.Is(err, errNotFound))
	}
	// Output:
	// SPRING10 <nil> false
	// SUMMER20 <nil> false
	//  test: not found: discount dsc_3 true
}
