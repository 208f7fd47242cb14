package registry

import (
	"context"

	"github.com/heldsway/heldsway/schemas"
)

// Applied is one change written to the registry.
type Applied struct {
	// Before is the code as it was; nil when the change created it.
	Before *schemas.Code
	// After is the code as written; nil when the change deleted it.
	After *schemas.Code
}

// Syncer pushes code definitions to the store platforms (package
// connectors/codesync). A Writer calls it after its changes are durable in the
// registry topic, with every change that altered a definition (creations,
// deletions and updates for which SameDefinition is false); updates that
// only touch Platforms, which is what a syncer itself writes, are not
// passed back, so a syncer writing sync state does not call itself.
//
// A Sync error does not undo the write: it is logged and reported
// (ApplyResult.SyncErr, Report.SyncError), and the syncer is expected to
// catch up from the registry, where every code's Platforms says what is
// pending.
type Syncer interface {
	Sync(ctx context.Context, changes []Applied) error
}

// SyncerFunc adapts a function to Syncer.
type SyncerFunc func(ctx context.Context, changes []Applied) error

// Sync calls f.
func (f SyncerFunc) Sync(ctx context.Context, changes []Applied) error { return f(ctx, changes) }
