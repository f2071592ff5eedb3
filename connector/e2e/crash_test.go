package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
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
// times; the writes come from a client through the REST API. Afterwards
// every write exists exactly once in the company file and every operation,
// read through the REST API, succeeded with QuickBooks' answer for it.
func TestSIGKILLWhileWritesAreInFlightNeitherLosesNorRepeatsWrites(t *testing.T) {
	iterations := 50
	if v := os.Getenv("QBCONNECTOR_CRASH_ITERATIONS"); v != "" {
		iterations, _ = strconv.Atoi(v)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))

	e := newEnv(t, envOptions{leaseTTL: time.Second})
	e.link()

	var ops []*testenv.Operation
	names := map[string]string{}
	seen := map[string]int{} // recovery paths taken over all runs
	count := func(log string) {
		for _, p := range []string{"recovered the answer of a write", "reporting the answer stored in the journal", "never processed this write", "finishing work interrupted"} {
			seen[p] += strings.Count(log, p)
		}
	}
	for i := range iterations {
		// The client writes through the REST API while the connector is
		// down or dying.
		for j := range 2 {
			name := fmt.Sprintf("Crash %02d-%d", i, j)
			op := e.writeCustomer(name)
			ops = append(ops, op)
			names[op.Id] = name
		}
		e.agent.Run()
		point := killPoints[rnd.IntN(len(killPoints))]
		occurrence := 1 + rnd.IntN(2)
		deadline := time.Now().Add(3 * time.Second)
		for strings.Count(e.agent.Proc.Output.String(), point) < occurrence && time.Now().Before(deadline) {
			<-time.After(time.Millisecond) // polling the agent's log for the kill point
		}
		count(e.agent.Kill().String())
	}

	e.agent.Run()
	wait.For(t, "every write to reach a final status", 60*time.Second, func() (bool, string) {
		pending := 0
		for _, op := range ops {
			if e.plat.Operation(op.Id).Status == "Pending" {
				pending++
			}
		}
		return pending == 0, fmt.Sprintf("%d of %d pending", pending, len(ops))
	})
	out := e.agent.Proc.Output
	e.agent.Stop()
	count(out.String())
	attempts := map[int]int{}
	for _, op := range ops {
		got := e.plat.Operation(op.Id)
		attempts[got.Attempts]++
		e.checkWritten(got, names[op.Id])
		// The client repeating its request with the same key learns the
		// same operation and writes nothing more.
		if again := e.writeCustomer(names[op.Id]); again.Id != op.Id || again.Status != got.Status {
			t.Errorf("%s: repeating the request answered operation %s (%s), want %s (%s)", names[op.Id], again.Id, again.Status, op.Id, got.Status)
		}
	}
	t.Logf("%d iterations, %d writes; recovery paths taken: %v; operations by attempts: %v", iterations, len(ops), seen, attempts)
}
