package demo

import (
	"context"
	"path/filepath"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/internal/scenario"
	"github.com/qbconnect/qbconnect/signing"
)

// World returns the scenario world of the running demo: its simulator,
// platform and connector, with the update to certificate B and a new
// user's installation done in process.
func (d *Demo) World() *scenario.World {
	return &scenario.World{
		Sim:      d.simCtl,
		Platform: client.New(d.plat.URL(), d.apiKey),
		Conn:     scenario.Link{CompanyID: d.company.ID, ConnectionID: d.conn.ID, File: acmeFile, CompanyName: acmeName},
		Other:    scenario.Link{File: otherFile, CompanyName: otherName},
		UI:       func() scenario.LocalUI { return scenario.LocalUI{URL: d.UIURL()} },
		Update:   d.update,
		NewUser:  d.newUser,

		ThumbprintA: signing.Thumbprint(d.certA.Certificate),
		ThumbprintB: signing.Thumbprint(d.certB.Certificate),
		Say:         d.say,
	}
}

// update installs the connector release signed with certificate B: the
// agent stops, the program is re-signed, and the agent starts again, as
// the self-update does with a downloaded release.
func (d *Demo) update(ctx context.Context) error {
	if err := d.stopAgent(); err != nil {
		return err
	}
	if err := d.sign(ctx, d.certB); err != nil {
		return err
	}
	d.say("    The connector now runs signed with certificate B (SHA-1 %s…).", signing.Thumbprint(d.certB.Certificate)[:12])
	return d.startAgent(ctx)
}

// newUser installs the release signed with certificate B for a new
// business and links the other company file to a new platform company.
func (d *Demo) newUser(ctx context.Context, approve func(context.Context) error) (scenario.Link, error) {
	if err := d.stopAgent(); err != nil {
		return scenario.Link{}, err
	}
	if err := d.sign(ctx, d.certB); err != nil {
		return scenario.Link{}, err
	}
	company := &qbconnect.Company{OrgID: d.orgID, Name: otherName}
	if err := d.plat.Companies.CreateCompany(ctx, company); err != nil {
		return scenario.Link{}, err
	}
	conn := &qbconnect.Connection{OrgID: d.orgID, CompanyID: company.ID, Kind: qbconnect.KindConnector, Status: qbconnect.StatusPendingAuth}
	if err := d.plat.Connections.CreateConnection(ctx, conn); err != nil {
		return scenario.Link{}, err
	}
	d.agentDir = filepath.Join(d.dir, "connector", "new-user")
	if _, err := d.link(ctx, d.agentDir, conn, approve); err != nil {
		return scenario.Link{}, err
	}
	if err := d.startAgent(ctx); err != nil {
		return scenario.Link{}, err
	}
	return scenario.Link{CompanyID: company.ID, ConnectionID: conn.ID, File: otherFile, CompanyName: otherName}, nil
}

// Play plays the scenario called name with narration.
func (d *Demo) Play(ctx context.Context, name string) error {
	if name == HandoverScenario {
		if err := d.playHandover(ctx); err != nil {
			return err
		}
		d.say("Scenario %s played to the end.", name)
		return nil
	}
	sc, err := scenario.Find(name)
	if err != nil {
		return err
	}
	d.say("")
	if err := scenario.Play(ctx, d.World(), sc, nil); err != nil {
		return err
	}
	d.say("Scenario %s played to the end.", name)
	return nil
}
