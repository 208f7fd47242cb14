package schemas

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestJSONTagsMatchAvro keeps the JSON names (used by `heldsway tail` and
// the HTTP APIs) identical to the Avro field names, record by record.
func TestJSONTagsMatchAvro(t *testing.T) {
	types := map[string]any{
		NameClick: Click{}, NameOrder: Order{}, NameRefund: Refund{}, NameCode: Code{},
		NameAttribution: Attribution{}, NameAdjustment: Adjustment{}, NameFlag: Flag{}, NameDeadLetter: DeadLetter{},
		Namespace + ".AppliedCode": AppliedCode{}, Namespace + ".Customer": Customer{}, Namespace + ".Subscription": Subscription{},
		Namespace + ".CommissionRule": CommissionRule{}, Namespace + ".PlatformSync": PlatformSync{},
		Namespace + ".Share": Share{}, Namespace + ".Touch": Touch{},
	}
	records := map[string][]string{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "record" {
				name, _ := x["name"].(string)
				var fields []string
				for _, f := range x["fields"].([]any) {
					fm := f.(map[string]any)
					fields = append(fields, fm["name"].(string))
					walk(fm["type"])
				}
				records[Namespace+"."+name] = fields
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, n := range Names() {
		var v any
		if err := json.Unmarshal([]byte(SchemaJSON(n)), &v); err != nil {
			t.Fatal(err)
		}
		walk(v)
	}
	for name, typ := range types {
		want, ok := records[name]
		if !ok {
			t.Errorf("%s: no such Avro record", name)
			continue
		}
		rt := reflect.TypeOf(typ)
		var got []string
		for i := 0; i < rt.NumField(); i++ {
			got = append(got, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: json tags %v, avro fields %v", name, got, want)
		}
	}
}
