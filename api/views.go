package api

import (
	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
)

// views shapes webhook events as the REST API shows the same objects.
type views struct{}

// NewViews returns the control plane's Views: a write's event carries the
// operation as GET /v1/operations/{id} shows it, a sync's event the sync
// state as GET .../sync-status shows it.
func NewViews() control.Views { return views{} }

func (views) Operation(op *qbconnect.Operation, res *qbconnect.WriteResult) any {
	return viewOperation(op, res)
}

func (views) SyncState(st *qbconnect.SyncState) any { return syncStateOf(st) }

func (views) SyncSummary(s *qbconnect.SyncSummary) any { return syncSummaryOf(s) }
