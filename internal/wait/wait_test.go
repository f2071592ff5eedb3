package wait_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/wait"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	err := wait.Until(context.Background(), "the third call", func() (bool, string, error) {
		n := calls.Add(1)
		return n == 3, "", nil
	})
	if err != nil || calls.Load() != 3 {
		t.Fatalf("err = %v after %d calls, want nil after 3", err, calls.Load())
	}
}

func TestUntilReportsWhatItLastSawWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := wait.Until(ctx, "green", func() (bool, string, error) { return false, "still red", nil })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for green") || !strings.Contains(err.Error(), "still red") {
		t.Fatalf("err = %v", err)
	}
}

func TestUntilStopsAtTheConditionsError(t *testing.T) {
	boom := errors.New("boom")
	if err := wait.Until(context.Background(), "x", func() (bool, string, error) { return false, "", boom }); err != boom {
		t.Fatalf("err = %v, want boom", err)
	}
}

// fatalRecorder records Fatalf instead of stopping the goroutine.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()                        {}
func (f *fatalRecorder) Fatalf(format string, a ...any) { f.msg = format; _ = a }

func TestForFailsTheTestAfterTheTimeout(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	wait.For(rec, "never", 50*time.Millisecond, func() (bool, string) { return false, "" })
	if rec.msg == "" {
		t.Fatal("For returned without failing the test")
	}
	rec.msg = ""
	wait.For(rec, "at once", time.Second, func() (bool, string) { return true, "" })
	if rec.msg != "" {
		t.Fatalf("For failed a condition that held: %s", rec.msg)
	}
}
