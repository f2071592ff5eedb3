package qbdsim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
)

// Methods a fault can target.
var faultMethods = []string{"OpenConnection", "BeginSession", "ProcessRequest", "EndSession", "CloseConnection"}

// Fault is an injected failure. When a call of Method (any call when empty)
// has let After calls through, the fault fires Times times (0 means once, a
// negative number means for ever): it waits Delay (a slow QuickBooks), closes
// QuickBooks if CloseQuickBooks (as when it closes in the middle of an
// iterator), shows ModalDialog if set, and makes the call fail with HRESULT if
// set. A call that meets a closed QuickBooks or a modal dialog then fails as
// it would without the fault.
type Fault struct {
	ID              string        `json:"id"`
	Method          string        `json:"method,omitempty"`
	After           int           `json:"after,omitempty"`
	Times           int           `json:"times,omitempty"`
	HRESULT         uint32        `json:"hresult,omitempty"`
	Delay           time.Duration `json:"delay,omitempty"`
	ModalDialog     string        `json:"modalDialog,omitempty"`
	CloseQuickBooks bool          `json:"closeQuickBooks,omitempty"`
	Fired           int           `json:"fired"`
}

type faultState struct {
	Fault
	seen int
}

// Validate reports whether the fault makes sense.
func (f Fault) Validate() error {
	if f.Method != "" && !slices.Contains(faultMethods, f.Method) {
		return fmt.Errorf("qbdsim: a fault cannot target %q (want one of %v)", f.Method, faultMethods)
	}
	if f.After < 0 || f.Delay < 0 {
		return errors.New("qbdsim: a fault's after and delay cannot be negative")
	}
	if f.HRESULT == 0 && f.Delay == 0 && f.ModalDialog == "" && !f.CloseQuickBooks {
		return errors.New("qbdsim: a fault needs an HRESULT, a delay, a modal dialog or closing QuickBooks")
	}
	if f.HRESULT != 0 && f.HRESULT&0x80000000 == 0 {
		return fmt.Errorf("qbdsim: %s is not a failure HRESULT", qbd.FormatHRESULT(f.HRESULT))
	}
	return nil
}

// InjectFault adds a fault and returns it with its ID.
func (s *Simulator) InjectFault(f Fault) (Fault, error) {
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.ID, f.Fired = s.newID(4), 0
	s.faults = append(s.faults, &faultState{Fault: f})
	s.notifyLocked()
	return f, nil
}

// ClearFaults removes every fault.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.notifyLocked()
}

// RemoveFault removes one fault; false if there was none with that ID.
func (s *Simulator) RemoveFault(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.faults, func(f *faultState) bool { return f.ID == id })
	if i < 0 {
		return false
	}
	s.faults = slices.Delete(s.faults, i, i+1)
	s.notifyLocked()
	return true
}

// fault applies the faults that fire for this call of method, and returns
// the HRESULT error of one, if any.
func (s *Simulator) fault(ctx context.Context, method string) error {
	s.mu.Lock()
	var fire []Fault
	kept := s.faults[:0]
	for _, f := range s.faults {
		if f.Method == "" || f.Method == method {
			f.seen++
			if f.seen > f.After {
				f.Fired++
				fire = append(fire, f.Fault)
				if f.Times >= 0 && f.Fired >= max(f.Times, 1) {
					continue // spent
				}
			}
		}
		kept = append(kept, f)
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	if len(fire) > 0 {
		s.notifyLocked()
	}
	s.mu.Unlock()
	var failure error
	for _, f := range fire {
		s.log.Info("qbdsim: fault fires", "id", f.ID, "method", method)
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		if f.CloseQuickBooks {
			if err := s.StopQuickBooks(); err != nil {
				s.log.Error("qbdsim: closing QuickBooks for a fault", "err", err)
			}
		}
		if f.ModalDialog != "" {
			s.mu.Lock()
			if s.running {
				s.modal = f.ModalDialog
				s.notifyLocked()
			}
			s.mu.Unlock()
		}
		if f.HRESULT != 0 && failure == nil {
			failure = qbd.NewError(f.HRESULT)
		}
	}
	return failure
}
