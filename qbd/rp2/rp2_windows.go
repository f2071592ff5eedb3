//go:build windows

package rp2

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	ole "github.com/go-ole/go-ole"
	"github.com/go-ole/go-ole/oleutil"

	"github.com/qbconnect/qbconnect/qbd"
)

// ProgID is the request processor's COM class.
const ProgID = "QBXMLRP2.RequestProcessor"

// Processor is a qbd.RequestProcessor on QuickBooks' QBXMLRP2 COM object.
// COM objects belong to the thread that created them, so every call runs on
// one goroutine locked to its OS thread; calls queue there one at a time, as
// QuickBooks runs them. A call whose context ends returns at once, but the
// COM call itself cannot be interrupted: it finishes on the COM thread, and
// a session it began after its caller left is ended there.
type Processor struct {
	progID string
	calls  chan func()
	quit   chan struct{}
	once   sync.Once
	ready  chan error

	// Owned by the COM thread.
	rp *ole.IDispatch
}

var _ qbd.RequestProcessor = (*Processor)(nil)

// New starts the COM thread and creates the request processor object of
// progID (ProgID when empty). It fails with HRClassNotRegistered when the
// QuickBooks SDK is not installed. Close releases it.
func New(progID string) (*Processor, error) {
	if progID == "" {
		progID = ProgID
	}
	p := &Processor{progID: progID, calls: make(chan func()), quit: make(chan struct{}), ready: make(chan error, 1)}
	go p.loop()
	if err := <-p.ready; err != nil {
		return nil, err
	}
	return p, nil
}

// loop is the COM thread.
func (p *Processor) loop() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ole.CoInitializeEx(0, ole.COINIT_APARTMENTTHREADED); err != nil {
		var oe *ole.OleError
		// S_FALSE (already initialised) is not a failure.
		if !errors.As(err, &oe) || oe.Code() != 1 {
			p.ready <- fmt.Errorf("rp2: CoInitializeEx: %w", err)
			return
		}
	}
	defer ole.CoUninitialize()
	unknown, err := oleutil.CreateObject(p.progID)
	if err != nil {
		p.ready <- comError(err)
		return
	}
	disp, err := unknown.QueryInterface(ole.IID_IDispatch)
	unknown.Release()
	if err != nil {
		p.ready <- comError(err)
		return
	}
	p.rp = disp
	defer p.rp.Release()
	p.ready <- nil
	for {
		select {
		case f := <-p.calls:
			f()
		case <-p.quit:
			return
		}
	}
}

// Close releases the COM object and stops its thread.
func (p *Processor) Close() error {
	p.once.Do(func() { close(p.quit) })
	return nil
}

// run runs f on the COM thread and waits for it or for ctx. abandoned is
// called on the COM thread when f finished after its caller left.
func (p *Processor) run(ctx context.Context, f func() error, abandoned func()) error {
	done := make(chan error, 1)
	var mu sync.Mutex
	left := false
	call := func() {
		err := f()
		mu.Lock()
		gone := left
		mu.Unlock()
		if gone && abandoned != nil && err == nil {
			abandoned()
		}
		done <- err
	}
	select {
	case p.calls <- call:
	case <-p.quit:
		return errors.New("rp2: the request processor is closed")
	case <-ctx.Done():
		return fmt.Errorf("rp2: %w", ctx.Err())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		left = true
		mu.Unlock()
		return fmt.Errorf("rp2: QuickBooks did not answer in time: %w", ctx.Err())
	}
}

// comError turns a go-ole error into a *qbd.Error.
func comError(err error) error {
	var oe *ole.OleError
	if !errors.As(err, &oe) {
		return fmt.Errorf("rp2: %w", err)
	}
	var scode uint32
	if ex, ok := oe.SubError().(ole.EXCEPINFO); ok {
		scode = ex.SCODE()
	}
	return errorFor(uint32(oe.Code()), scode, oe.Description())
}

func (p *Processor) call(name string, args ...any) (*ole.VARIANT, error) {
	v, err := oleutil.CallMethod(p.rp, name, args...)
	if err != nil {
		return nil, comError(err)
	}
	return v, nil
}

// OpenConnection implements qbd.RequestProcessor with OpenConnection2. The
// App's Program is ignored: QuickBooks identifies the calling program itself.
func (p *Processor) OpenConnection(ctx context.Context, app qbd.App) error {
	if err := app.Validate(); err != nil {
		return err
	}
	ct := app.ConnectionType
	if ct == qbd.ConnectionUnknown {
		ct = qbd.ConnectionLocalQBD
	}
	return p.run(ctx, func() error {
		v, err := p.call("OpenConnection2", app.ID, app.Name, int32(ct))
		if v != nil {
			v.Clear()
		}
		return err
	}, nil)
}

// SetAuthPreferences implements qbd.RequestProcessor through the
// AuthPreferences object. Zero fields are left at QuickBooks' defaults.
func (p *Processor) SetAuthPreferences(ctx context.Context, prefs qbd.AuthPreferences) error {
	if err := prefs.Validate(); err != nil {
		return err
	}
	return p.run(ctx, func() error {
		v, err := oleutil.GetProperty(p.rp, "AuthPreferences")
		if err != nil {
			return comError(err)
		}
		ap := v.ToIDispatch()
		if ap == nil {
			v.Clear()
			return errors.New("rp2: AuthPreferences is not an object")
		}
		defer v.Clear()
		if _, err := p.callOn(ap, "PutIsReadOnly", prefs.ReadOnly); err != nil {
			return err
		}
		if prefs.Unattended != 0 {
			if _, err := p.callOn(ap, "PutUnattendedModePref", int32(prefs.Unattended)); err != nil {
				return err
			}
		}
		if prefs.PersonalData != 0 {
			if _, err := p.callOn(ap, "PutPersonalDataPref", int32(prefs.PersonalData)); err != nil {
				return err
			}
		}
		if prefs.AuthFlags != 0 {
			if _, err := p.callOn(ap, "PutAuthFlags", int32(prefs.AuthFlags)); err != nil {
				return err
			}
		}
		return nil
	}, nil)
}

func (p *Processor) callOn(d *ole.IDispatch, name string, args ...any) (*ole.VARIANT, error) {
	v, err := oleutil.CallMethod(d, name, args...)
	if err != nil {
		return nil, comError(err)
	}
	v.Clear()
	return nil, nil
}

// BeginSession implements qbd.RequestProcessor. QuickBooks blocks the call
// while it shows the authorization dialog; if ctx ends first the call keeps
// waiting on the COM thread and, should it succeed later, its session is
// ended there.
func (p *Processor) BeginSession(ctx context.Context, path string, mode qbd.FileMode) (string, error) {
	var ticket string
	err := p.run(ctx, func() error {
		v, err := p.call("BeginSession", path, int32(mode))
		if err != nil {
			return err
		}
		defer v.Clear()
		ticket = v.ToString()
		return nil
	}, func() {
		if v, err := p.call("EndSession", ticket); err == nil {
			v.Clear()
		}
	})
	if err != nil {
		return "", err
	}
	return ticket, nil
}

// ProcessRequest implements qbd.RequestProcessor.
func (p *Processor) ProcessRequest(ctx context.Context, ticket string, request []byte) ([]byte, error) {
	var resp string
	err := p.run(ctx, func() error {
		v, err := p.call("ProcessRequest", ticket, string(request))
		if err != nil {
			return err
		}
		defer v.Clear()
		resp = v.ToString()
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return []byte(resp), nil
}

// EndSession implements qbd.RequestProcessor.
func (p *Processor) EndSession(ctx context.Context, ticket string) error {
	return p.run(ctx, func() error {
		v, err := p.call("EndSession", ticket)
		if v != nil {
			v.Clear()
		}
		return err
	}, nil)
}

// CloseConnection implements qbd.RequestProcessor.
func (p *Processor) CloseConnection(ctx context.Context) error {
	return p.run(ctx, func() error {
		v, err := p.call("CloseConnection")
		if v != nil {
			v.Clear()
		}
		return err
	}, nil)
}

// CurrentCompanyFileName implements qbd.RequestProcessor.
func (p *Processor) CurrentCompanyFileName(ctx context.Context, ticket string) (string, error) {
	var name string
	err := p.run(ctx, func() error {
		v, err := p.call("GetCurrentCompanyFileName", ticket)
		if err != nil {
			return err
		}
		defer v.Clear()
		name = v.ToString()
		return nil
	}, nil)
	return name, err
}

// QBXMLVersionsForSession implements qbd.RequestProcessor. An old QBXMLRP2
// without the property (DISP_E_MEMBERNOTFOUND) reports the error as is.
func (p *Processor) QBXMLVersionsForSession(ctx context.Context, ticket string) ([]string, error) {
	var out []string
	err := p.run(ctx, func() error {
		v, err := oleutil.GetProperty(p.rp, "QBXMLVersionsForSession", ticket)
		if err != nil {
			return comError(err)
		}
		defer v.Clear()
		arr := v.ToArray()
		if arr == nil {
			return errors.New("rp2: QBXMLVersionsForSession did not return an array")
		}
		out = arr.ToStringArray()
		return nil
	}, nil)
	return out, err
}
