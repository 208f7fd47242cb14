package analytics_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics/analyticstest"
)

// TestExampleQueries runs every documented query in queries/ against the
// seeded rollups: each must run on the server under test and return rows.
func TestExampleQueries(t *testing.T) {
	files, err := filepath.Glob("../../../queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example queries found: %v", err)
	}
	e := newEnv(t)
	e.write(t, analyticstest.New(1).All())
	e.refresh(t, analytics.RefreshOptions{})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var q strings.Builder
			for line := range strings.Lines(string(data)) {
				if !strings.HasPrefix(strings.TrimSpace(line), "--") {
					q.WriteString(line)
				}
			}
			rows, err := e.w.Conn().Query(e.ctx, strings.TrimSuffix(strings.TrimSpace(q.String()), ";"))
			if err != nil {
				t.Fatalf("%v", err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil || n == 0 {
				t.Fatalf("%d rows, %v", n, err)
			}
		})
	}
}

// TestGrafanaDashboardQueries runs every panel, variable and annotation
// query of deploy/grafana/dashboards/heldsway.json, with the plugin's
// macros and the variables expanded the way Grafana would.
func TestGrafanaDashboardQueries(t *testing.T) {
	data, err := os.ReadFile("../../../deploy/grafana/dashboards/heldsway.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RawSQL string `json:"rawSql"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Annotations struct {
			List []struct {
				Name   string `json:"name"`
				Target struct {
					RawSQL string `json:"rawSql"`
				} `json:"target"`
			} `json:"list"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries["panel "+p.Title] = tg.RawSQL
		}
	}
	for _, v := range dash.Templating.List {
		queries["variable "+v.Name] = v.Query
	}
	for _, a := range dash.Annotations.List {
		queries["annotation "+a.Name] = a.Target.RawSQL
	}
	e := newEnv(t)
	e.write(t, analyticstest.New(1).All())
	e.refresh(t, analytics.RefreshOptions{})
	from := analyticstest.First.Unix()
	to := analyticstest.First.AddDate(0, 0, analyticstest.Days).Unix()
	expand := strings.NewReplacer(
		"$__fromTime", fmt.Sprintf("toDateTime(%d)", from),
		"$__toTime", fmt.Sprintf("toDateTime(%d)", to),
		"${currency:singlequote}", "'EUR','USD'",
		"${code:singlequote}", "'ANNA10','BOB20','CLARA5','LEAKY','FREESHIP'",
		"heldsway.", e.w.Database()+".",
	)
	if len(queries) < 10 {
		t.Fatalf("only %d queries in the dashboard", len(queries))
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			rows, err := e.w.Conn().Query(e.ctx, expand.Replace(q))
			if err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil || n == 0 {
				t.Fatalf("%d rows, %v", n, err)
			}
		})
	}
}
