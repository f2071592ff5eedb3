package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
)

// killPoints are log lines after which the crash test may SIGKILL the
// connector: every step of an item's life, so that each window of the
// journal (received, sent, answered, reported) is hit.
var killPoints = []string{
	"connector: starting",
	"connector: item received",
	"connector: item answered by QuickBooks",
	"connector: result posted",
	"connector: reporting the answer stored in the journal",
	"connector: recovered the answer of a write",
}

// TestSIGKILLWhileWritesAreInFlightNeitherLosesNorRepeatsWrites kills the
// connector at random points while client writes are in flight, many
// times; afterwards every write exists exactly once in the company file and
// every operation succeeded with QuickBooks' first answer.
func TestSIGKILLWhileWritesAreInFlightNeitherLosesNorRepeatsWrites(t *testing.T) {
	iterations := 50
	if v := os.Getenv("QBCONNECTOR_CRASH_ITERATIONS"); v != "" {
		iterations, _ = strconv.Atoi(v)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))

	e := newEnv(t, envOptions{leaseTTL: time.Second})
	e.link(e.conn.ID)

	var ops []*qbconnect.Operation
	names := map[string]string{}
	seen := map[string]int{} // recovery paths taken over all runs
	count := func(log string) {
		for _, p := range []string{"recovered the answer of a write", "reporting the answer stored in the journal", "never processed this write", "finishing work interrupted"} {
			seen[p] += strings.Count(log, p)
		}
	}
	for i := range iterations {
		for j := range 2 {
			name := fmt.Sprintf("Crash %02d-%d", i, j)
			op := e.enqueueWrite(e.conn.ID, name)
			ops = append(ops, op)
			names[op.ID] = name
		}
		e.startAgent()
		point := killPoints[rnd.IntN(len(killPoints))]
		occurrence := 1 + rnd.IntN(2)
		deadline := time.Now().Add(3 * time.Second)
		for strings.Count(e.stderr.String(), point) < occurrence && time.Now().Before(deadline) {
			<-time.After(time.Millisecond) // polling the agent's log for the kill point
		}
		e.killAgent()
		count(e.stderr.String())
	}

	e.startAgent()
	waitFor(t, "every write to reach a final status", 60*time.Second, func() (bool, string) {
		pending := 0
		for _, op := range ops {
			if !e.op(op.ID).Status.Done() {
				pending++
			}
		}
		return pending == 0, fmt.Sprintf("%d of %d pending", pending, len(ops))
	})
	e.stopAgent()
	count(e.stderr.String())
	for _, op := range ops {
		got := e.op(op.ID)
		name := names[op.ID]
		if got.Status != qbconnect.OpSucceeded {
			t.Errorf("%s: status %s (%v)", name, got.Status, got.Error)
			continue
		}
		if !strings.Contains(string(got.Result), `statusCode="0"`) {
			t.Errorf("%s: QuickBooks answered with an error: %s", name, got.Result)
		}
		if n := e.customerCount("acme.qbw", name); n != 1 {
			t.Errorf("%s exists %d times in the company file, want exactly once", name, n)
		}
	}
	t.Logf("%d iterations, %d writes; recovery paths taken: %v", iterations, len(ops), seen)
}
