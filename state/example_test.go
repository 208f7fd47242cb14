package state_test

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/heldsway/heldsway/state"
)

func ExampleBatch() {
	s, err := state.Open("db", state.Config{FS: vfs.NewMem()})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	// One transaction: read-modify-write in partition 3, then commit the
	// state with the input offset it reflects.
	b := s.NewBatch()
	_ = b.Set(3, []byte("cust/42"), []byte("click"))
	v, _, _ := b.Get(3, []byte("cust/42")) // sees its own write
	_ = b.Set(3, []byte("cust/42"), append(v, "+code"...))
	if err := b.Commit(map[int32]map[string]int64{3: {"clicks.v1": 101}}); err != nil {
		panic(err)
	}

	v, _, _ = s.Get(3, []byte("cust/42"))
	applied, _, _ := s.AppliedOffsets(3)
	fmt.Println(string(v), applied["clicks.v1"])
	// Output: click+code 101
}
