package clickhouse

import (
	"testing"

	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }
