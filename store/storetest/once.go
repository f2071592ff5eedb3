package storetest

import (
	"sync"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// testWarningsAndRemindersAreGivenOnceAcrossProcesses: processes racing to
// record the same expiry warning or campaign reminder agree that exactly
// one of them gives it, and none fails.
func testWarningsAndRemindersAreGivenOnceAcrossProcesses(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e := NewEnv(t, dsn, store.Options{})
	org := e.Org(t, "Lender")
	rs := store.NewReleaseStore(e.DB)
	signer := qbconnect.Certificate{Thumbprint: "0002", Subject: "CN=New"}
	r := release("2.0.0", "stable", signer, "x")
	must(t, rs.CreateRelease(ctx, r))
	must(t, rs.AddCertificate(ctx, qbconnect.Certificate{Thumbprint: "0001", Subject: "CN=Old"}))
	c := &qbconnect.Campaign{ReleaseID: r.ID, Version: r.Version, Status: qbconnect.CampaignActive, OldThumbprints: []string{"0001"},
		NewSigner: signer, RolloutAt: e.Clock.Now()}
	must(t, rs.CreateCampaign(ctx, c, nil))
	const procs = 4
	var stores []*store.ReleaseStore
	for range procs {
		stores = append(stores, store.NewReleaseStore(OpenEnv(t, dsn, store.Options{}, e.Clock).DB))
	}
	for round := range 5 {
		for name, mark := range map[string]func(rs *store.ReleaseStore) (bool, error){
			"warning": func(rs *store.ReleaseStore) (bool, error) { return rs.MarkWarning(ctx, "0001", 30+round) },
			"reminder": func(rs *store.ReleaseStore) (bool, error) {
				return rs.MarkCampaignReminder(ctx, c.ID, org.ID, 30+round)
			},
		} {
			var wg sync.WaitGroup
			firsts := make([]bool, procs)
			errs := make([]error, procs)
			start := make(chan struct{})
			for i, rs := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					firsts[i], errs[i] = mark(rs)
				}()
			}
			close(start)
			wg.Wait()
			n := 0
			for i := range procs {
				if errs[i] != nil {
					t.Errorf("%s, round %d, process %d: %v", name, round, i, errs[i])
				}
				if firsts[i] {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s, round %d: %d processes gave it, want exactly 1", name, round, n)
			}
		}
	}
}
