package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
)

// HandoverScenario is the scenario name of the certificate handover, which
// the demo plays itself rather than through package scenario: it runs the
// real release path (publish, rollout, the connector's update check).
const HandoverScenario = "handover"

// candidateProcessor reaches QuickBooks (the simulator) as the candidate
// executable program: the simulator verifies the program the connection
// names. (The installed connector runs the candidate as a child process
// instead, since real QuickBooks identifies the calling process: see
// qbconnector candidate-host.)
func (d *Demo) candidateProcessor(program string) (qbd.RequestProcessor, error) {
	return simclient.New(d.simURL, simclient.Options{})
}

// playHandover narrates the certificate handover: release 1 signed with
// A, release 2 signed with B published and rolled out; the connector
// installs 2 beside itself; a write queued while QuickBooks is closed
// succeeds through release 1; the administrator opens QuickBooks and
// approves release 2; the file switches; release 2 becomes the program;
// a write queued with QuickBooks closed succeeds through it.
func (d *Demo) playHandover(ctx context.Context) error {
	w := d.World()
	w.Say = func(string, ...any) {}
	d.say("")
	d.say("Certificate handover: a release signed with a new certificate, approved while the old one keeps working.")

	// The publisher's releases: 1.0.0 signed with A (what runs), 2.0.0
	// signed with B.
	if _, _, err := d.publish(ctx, "1.0.0", d.certA); err != nil {
		return err
	}
	_, camp, err := d.publish(ctx, "2.0.0", d.certB)
	if err != nil {
		return err
	}
	if camp == nil {
		return fmt.Errorf("demo: publishing release 2.0.0 signed with B started no rotation campaign")
	}
	d.say("  Published release 2.0.0 signed with certificate B and rolled it out: rotation campaign %s.", camp.ID)

	// QuickBooks is closed: the connector logs in by itself (the
	// administrator chose "Yes, always" when linking).
	if _, err := d.simCtl.StopQuickBooks(ctx); err != nil {
		return err
	}
	d.say("  QuickBooks is closed. Nobody is at the computer.")

	u, gw, err := d.updater(ctx)
	if err != nil {
		return err
	}
	if _, err := u.Check(ctx); err != nil {
		return fmt.Errorf("demo: the connector's update check: %w", err)
	}
	step, err := d.waitStep(ctx, "the candidate installed", func(f *connector.FileHandover) bool {
		return f.State == gateway.HandoverCandidateInstalled
	})
	if err != nil {
		return err
	}
	d.say("  The connector (release 1, certificate A) downloaded release 2, verified it against its pinned root and installed it beside itself.")
	d.say("  Card: %s", step.Message)

	// A write while QuickBooks is closed: release 1 serves it.
	if _, err := w.QueueWrite(ctx, "Handover Customer 1"); err != nil {
		return err
	}
	if err := w.Completed(ctx); err != nil {
		return err
	}
	if n := len(d.sim.Dialogs()); n != 0 {
		return fmt.Errorf("demo: QuickBooks showed %d dialog(s) before the administrator came", n)
	}
	d.say("  A client's write queued now succeeded at once, through release 1; QuickBooks asked nobody.")

	// The administrator opens QuickBooks: at that good moment release 2
	// asks for access, and the administrator approves.
	if err := w.Open(ctx, acmeFile); err != nil {
		return err
	}
	d.say("  Later the administrator opens %q in QuickBooks.", acmeName)
	dlg, err := d.sim.WaitDialog(ctx)
	if err != nil {
		return err
	}
	if dlg.Certificate == nil || !strings.EqualFold(dlg.Certificate.Thumbprint, signing.Thumbprint(d.certB.Certificate)) || filepath.Base(dlg.CompanyFile) != acmeFile {
		return fmt.Errorf("demo: QuickBooks asks about %+v for %s, want release 2's certificate B for %s", dlg.Certificate, dlg.CompanyFile, acmeFile)
	}
	d.say("  QuickBooks asks whether %q signed with certificate B (SHA-1 %s…) may access %q. The administrator answers %q.",
		dlg.AppName, dlg.Certificate.Thumbprint[:12], dlg.CompanyName, qbdsim.ChoiceAlways.Label())
	if _, err := d.sim.AnswerDialog(dlg.ID, qbdsim.Answer{Choice: qbdsim.ChoiceAlways}, true); err != nil {
		return err
	}
	if _, err := d.waitStep(ctx, "the file switched", func(f *connector.FileHandover) bool { return f.State == gateway.HandoverSwitched }); err != nil {
		return err
	}
	d.say("  QuickBooks approved release 2 for %q: the file switched to it.", acmeName)

	// Every file switched: release 2 becomes the program.
	if err := d.stopAgent(); err != nil {
		return err
	}
	ok, err := u.InstallCandidate(ctx)
	if err != nil || !ok {
		return fmt.Errorf("demo: installing release 2: %v (installed %v)", err, ok)
	}
	d.version = "2.0.0"
	if err := d.startAgent(ctx); err != nil {
		return err
	}
	pu := &connector.PendingUpdates{Program: d.program, Updates: gw, Logger: d.log}
	if p, err := pu.Resume(ctx, d.version); err != nil {
		return err
	} else if p != nil {
		if err := pu.Confirm(ctx, p); err != nil {
			return err
		}
	}
	if err := d.waitCampaign(ctx, camp.ID, qbconnect.CampaignSwitched); err != nil {
		return err
	}
	if err := d.poll(ctx, "release 1 to be removed", func() (bool, string, error) {
		_, err := os.Stat(d.program + ".old")
		return os.IsNotExist(err), fmt.Sprint(err), nil
	}); err != nil {
		return err
	}
	d.say("  Release 2 is now the connector (SHA-1 %s…); release 1 was removed. The campaign shows the connection %s.",
		d.identity(ctx).Thumbprint[:12], qbconnect.CampaignSwitched)

	// QuickBooks closed again: release 2 logs in by itself now.
	if _, err := d.simCtl.StopQuickBooks(ctx); err != nil {
		return err
	}
	if _, err := w.QueueWrite(ctx, "Handover Customer 2"); err != nil {
		return err
	}
	if err := w.Completed(ctx); err != nil {
		return err
	}
	d.say("  QuickBooks closed again: a new write succeeded through release 2.")
	d.say("No write waited for a person: %d writes, each applied exactly once, none waited for QuickBooks' approval.", len(w.Writes()))
	d.say("Optional clean-up for the user: remove the release 1 entry in QuickBooks (Edit > Preferences > Integrated Applications > Company Preferences).")
	return nil
}

// publish signs a copy of the connector with s and publishes it as
// version, rolled out to every connector.
func (d *Demo) publish(ctx context.Context, version string, s *sign.Signer) (*qbconnect.Release, *qbconnect.Campaign, error) {
	path := filepath.Join(d.dir, "releases", version, "qbconnector")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	if err := copyFile(d.program, path); err != nil {
		return nil, nil, err
	}
	if err := s.SignDetached(ctx, path, path+signing.DetachedSuffix); err != nil {
		return nil, nil, err
	}
	return d.plat.Releases.Publish(ctx, release.PublishInput{Version: version, Files: []string{path},
		Rollout: qbconnect.Rollout{Percent: 100}, RolloutAt: d.cfg.Now().AddDate(0, 0, 7)})
}

// updater is the connector's self-update, as qbconnector run has it.
func (d *Demo) updater(ctx context.Context) (*connector.Updater, *gatewayclient.Client, error) {
	st := &connector.Store{Dir: d.agentDir}
	cfg, err := st.Load()
	if err != nil {
		return nil, nil, err
	}
	gw, err := gatewayclient.New(cfg.PlatformURL, gatewayclient.Options{Credential: cfg.Credential, UserAgent: "qbconnector/demo"})
	if err != nil {
		return nil, nil, err
	}
	id := d.identity(ctx)
	u, err := connector.NewUpdater(connector.UpdaterOptions{Updates: gw, Version: id.Version, Program: d.program, Roots: d.ca.pool(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Restart: connector.RestartByManager, Now: d.cfg.Now, Logger: d.log,
		Store: st, Thumbprint: id.Thumbprint})
	return u, gw, err
}

// waitStep waits until the connector's card shows a handover step.
func (d *Demo) waitStep(ctx context.Context, what string, ok func(*connector.FileHandover) bool) (*connector.FileHandover, error) {
	var got *connector.FileHandover
	err := d.poll(ctx, what, func() (bool, string, error) {
		st, err := d.World().Status(ctx)
		if err != nil {
			return false, "", err
		}
		for _, f := range st.Files {
			if f.ConnectionID == d.conn.ID && f.Handover != nil {
				got = f.Handover
				return ok(f.Handover), f.Handover.State + "/" + f.Handover.SubState, nil
			}
		}
		return false, "no handover step", nil
	})
	return got, err
}

// waitCampaign waits until the client's REST API shows the connection in
// state in the campaign.
func (d *Demo) waitCampaign(ctx context.Context, id string, state qbconnect.CampaignState) error {
	cl := client.New(d.plat.URL(), d.apiKey)
	return d.poll(ctx, "the campaign to show "+string(state), func() (bool, string, error) {
		c, err := cl.GetRotationCampaign(ctx, id)
		if err != nil {
			return false, "", err
		}
		var got []string
		for _, cc := range c.Connections {
			got = append(got, string(cc.State))
			if cc.ConnectionID == d.conn.ID && cc.State == state {
				return true, "", nil
			}
		}
		return false, strings.Join(got, ", "), nil
	})
}

// poll checks cond until it holds, for up to two minutes.
func (d *Demo) poll(ctx context.Context, what string, cond func() (bool, string, error)) error {
	deadline := time.Now().Add(2 * time.Minute)
	last := ""
	for {
		ok, state, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		last = state
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: timed out waiting for %s (last: %s)", what, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
