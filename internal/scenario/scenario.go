package scenario

import (
	"context"
	"fmt"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// Step is one step of a scenario.
type Step struct {
	// Say is what happens, or what the end user does, in one sentence.
	Say string
	// Do does it; nil for a step that only waits for a state.
	Do func(ctx context.Context, w *World) error
	// Want is the state the connector and the platform must both show
	// afterwards ("" to check nothing); Show are texts their messages
	// must contain.
	Want string
	Show []string
	// Waiting says that the queued work must still wait after this step.
	Waiting bool
	// Done says that the queued work must have completed after this step,
	// each write exactly once.
	Done bool
}

// Scenario is one situation of the certificate-expiry notice.
type Scenario struct {
	// Name is the --scenario name.
	Name string
	// Title is the notice's heading for the situation.
	Title string
	// Steps returns the steps; they start from a connector signed with
	// certificate A, linked to World.Conn with "Yes, always", QuickBooks
	// running with that file open and the first sync done.
	Steps func(w *World) []Step
}

// Customer names of the writes the scenarios queue.
const (
	FirstCustomer  = "Rotation Test Customer"
	SecondCustomer = "After Rotation Customer"
)

// update is the first step of the scenarios of existing users.
var update = Step{
	Say: "qbconnect releases a new connector version signed with certificate B (A expires); the connector updates itself.",
	Do:  func(ctx context.Context, w *World) error { return w.Update(ctx) },
}

// queue is the client's write that must survive the rotation.
var queue = Step{
	Say: "The client application creates a customer through the REST API; the platform queues the write.",
	Do: func(ctx context.Context, w *World) error {
		_, err := w.QueueWrite(ctx, FirstCustomer)
		return err
	},
}

func answer(file func(w *World) string, choice qbdsim.Choice) func(ctx context.Context, w *World) error {
	return func(ctx context.Context, w *World) error {
		_, err := w.Answer(ctx, file(w), choice)
		return err
	}
}

func expected(w *World) string { return w.Conn.File }
func other(w *World) string    { return w.Other.File }

// All returns the scenarios in the notice's order.
func All() []Scenario {
	return []Scenario{
		{Name: "new-user", Title: "A new user links under certificate B: no extra step", Steps: newUser},
		{Name: "right-file-open", Title: "QuickBooks is open with the connected company file", Steps: rightFileOpen},
		{Name: "other-file-open", Title: "QuickBooks is open with a different company file", Steps: otherFileOpen},
		{Name: "qb-closed", Title: "QuickBooks is closed", Steps: qbClosed},
		{Name: "access-denied", Title: "The administrator denies access", Steps: accessDenied},
		{Name: "old-entry-removed", Title: "The old certificate's entry is removed before approving", Steps: oldEntryRemoved(true)},
		{Name: "old-entry-removed-after", Title: "The old certificate's entry is removed after approving", Steps: oldEntryRemoved(false)},
	}
}

// Find returns the scenario called name.
func Find(name string) (Scenario, error) {
	var names []string
	for _, s := range All() {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q; the scenarios are %v", name, names)
}

func newUser(w *World) []Step {
	return []Step{
		{Say: "A new business installs the connector release signed with certificate B, opens its company file and links it with a link code; QuickBooks asks once, as for any first link.",
			Do: func(ctx context.Context, w *World) error {
				if err := w.Open(ctx, w.Other.File); err != nil {
					return err
				}
				link, err := w.NewUser(ctx, func(ctx context.Context) error {
					_, err := w.Answer(ctx, w.Other.File, qbdsim.ChoiceAlways)
					return err
				})
				if err != nil {
					return err
				}
				w.Conn = link
				return nil
			},
			Want: qbd.CondOK},
		queue,
		{Say: "The write runs at once: no extra step for a new user.", Want: qbd.CondOK, Done: true,
			Do: func(ctx context.Context, w *World) error {
				if w.Dialogs() != 1 {
					return fmt.Errorf("QuickBooks asked %d times, want once", w.Dialogs())
				}
				return nil
			}},
	}
}

func rightFileOpen(w *World) []Step {
	return []Step{
		update,
		queue,
		{Say: "At the next access QuickBooks asks its administrator again, since the connector is a new application to it; the write waits.",
			Want: qbd.CondAuthPending, Waiting: true},
		{Say: "The administrator answers \"Yes, always\", Continue, Done.", Do: answer(expected, qbdsim.ChoiceAlways),
			Want: qbd.CondOK, Done: true},
		closedStillWorks,
	}
}

// closedStillWorks shows that certificate B now has what A had: access
// while QuickBooks is closed.
var closedStillWorks = Step{
	Say: "QuickBooks is closed and another write comes: the connector logs in by itself, as it did under certificate A.",
	Do: func(ctx context.Context, w *World) error {
		if _, err := w.Sim.StopQuickBooks(ctx); err != nil {
			return err
		}
		_, err := w.QueueWrite(ctx, SecondCustomer)
		return err
	},
	Want: qbd.CondOK, Done: true,
}

func otherFileOpen(w *World) []Step {
	return []Step{
		update,
		{Say: "The user is working in the business's other company file.",
			Do: func(ctx context.Context, w *World) error { return w.Open(ctx, w.Other.File) }},
		queue,
		{Say: "QuickBooks asks its administrator — for the file that is open, which is not the connected one.",
			Want: qbd.CondAuthPending, Waiting: true},
		{Say: "The administrator approves without reading the company name.", Do: answer(other, qbdsim.ChoiceAlways),
			Want: qbd.CondWrongFileOpen, Show: []string{w.Other.CompanyName, w.Conn.CompanyName}, Waiting: true},
		{Say: "The user removes the wrongly approved entry in Edit > Preferences > Integrated Applications.",
			Do:   func(ctx context.Context, w *World) error { return w.RemoveEntry(ctx, w.Other.File, w.ThumbprintB) },
			Want: qbd.CondWrongFileOpen, Waiting: true},
		{Say: "The user opens the right company file; QuickBooks asks for it.",
			Do:   func(ctx context.Context, w *World) error { return w.Open(ctx, w.Conn.File) },
			Want: qbd.CondAuthPending, Waiting: true},
		{Say: "The administrator answers \"Yes, always\".", Do: answer(expected, qbdsim.ChoiceAlways),
			Want: qbd.CondOK, Done: true},
	}
}

func qbClosed(w *World) []Step {
	return []Step{
		{Say: "The user has closed QuickBooks.",
			Do: func(ctx context.Context, w *World) error { _, err := w.Sim.StopQuickBooks(ctx); return err }},
		update,
		queue,
		{Say: "The connector cannot start QuickBooks under its new certificate: the permission to work while QuickBooks is closed does not transfer.",
			Want: qbd.CondQBClosed, Show: []string{qbd.TimedOutMessage}, Waiting: true},
		{Say: "The user starts QuickBooks, opens the right company file and presses Perform Sync; the authorization dialog appears.",
			Do: func(ctx context.Context, w *World) error {
				if err := w.Open(ctx, w.Conn.File); err != nil {
					return err
				}
				return w.PerformSync(ctx)
			},
			Want: qbd.CondAuthPending, Waiting: true},
		{Say: "The administrator answers \"Yes, always\".", Do: answer(expected, qbdsim.ChoiceAlways),
			Want: qbd.CondOK, Done: true},
		closedStillWorks,
	}
}

func accessDenied(w *World) []Step {
	return []Step{
		update,
		queue,
		{Say: "QuickBooks asks its administrator.", Want: qbd.CondAuthPending, Waiting: true},
		{Say: "The administrator answers \"No\": nothing runs, and the state says so.", Do: answer(expected, qbdsim.ChoiceNo),
			Want: qbd.CondAccessDenied, Waiting: true},
		{Say: "The user presses Perform Sync with the right file open; QuickBooks asks again.",
			Do: func(ctx context.Context, w *World) error {
				if err := w.Open(ctx, w.Conn.File); err != nil {
					return err
				}
				return w.PerformSync(ctx)
			},
			Want: qbd.CondAuthPending, Waiting: true},
		{Say: "This time the administrator answers \"Yes, always\".", Do: answer(expected, qbdsim.ChoiceAlways),
			Want: qbd.CondOK, Done: true},
	}
}

func oldEntryRemoved(before bool) func(w *World) []Step {
	remove := Step{Say: "The administrator removes the old certificate's entry from Integrated Applications.",
		Do: func(ctx context.Context, w *World) error { return w.RemoveEntry(ctx, w.Conn.File, w.ThumbprintA) }}
	return func(w *World) []Step {
		steps := []Step{update}
		if before {
			steps = append(steps, remove)
		}
		steps = append(steps, queue,
			Step{Say: "QuickBooks asks its administrator.", Want: qbd.CondAuthPending, Waiting: true},
			Step{Say: "The administrator answers \"Yes, always\".", Do: answer(expected, qbdsim.ChoiceAlways), Want: qbd.CondOK, Done: true})
		if !before {
			remove.Want = qbd.CondOK
			steps = append(steps, remove)
		}
		return append(steps, closedStillWorks)
	}
}

// Play plays a scenario on w: for each step it narrates, does it, waits
// for the state it names and checks the queued work. after, when not nil,
// runs after each step (tests add their own checks there). It stops at the
// first failure.
func Play(ctx context.Context, w *World, sc Scenario, after func(i int, st Step) error) error {
	w.say("Scenario %s: %s", sc.Name, sc.Title)
	for i, st := range sc.Steps(w) {
		w.say("%d. %s", i+1, st.Say)
		if st.Do != nil {
			if err := st.Do(ctx, w); err != nil {
				return fmt.Errorf("step %d (%s): %w", i+1, st.Say, err)
			}
		}
		if st.Want != "" {
			if err := w.Expect(ctx, st.Want, st.Show...); err != nil {
				return fmt.Errorf("step %d (%s): %w", i+1, st.Say, err)
			}
			if s, err := w.Status(ctx); err == nil {
				if fs := s.File(w.Conn.ConnectionID); fs != nil {
					w.say("    Connector and platform show %s: %s", fs.Shown.Code, fs.Shown.Message)
					if fs.Shown.Resolution != "" {
						w.say("    What to do: %s", fs.Shown.Resolution)
					}
				}
			}
		}
		if st.Waiting {
			if err := w.Pending(ctx); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
			w.say("    The client's write waits in the queue.")
		}
		if st.Done {
			if err := w.Completed(ctx); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
			w.say("    The queued work completed, each write exactly once.")
		}
		if after != nil {
			if err := after(i, st); err != nil {
				return fmt.Errorf("after step %d (%s): %w", i+1, st.Say, err)
			}
		}
	}
	return nil
}
