package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/store"
)

var _ qbconnect.CampaignService = (*Service)(nil)

// startCampaign records the campaign of a release signed with a new
// certificate, with every Linked connector connection whose connector runs
// with another certificate, and queues one notice per client organisation.
func (s *Service) startCampaign(ctx context.Context, rel *qbconnect.Release, in PublishInput) (*qbconnect.Campaign, error) {
	runs, err := s.cfg.Store.ConnectorRuns(ctx, "")
	if err != nil {
		return nil, err
	}
	rolloutAt := in.RolloutAt
	if rolloutAt.IsZero() {
		rolloutAt = s.cfg.Now().Add(s.cfg.NoticePeriod)
	}
	c := &qbconnect.Campaign{ReleaseID: rel.ID, Version: rel.Version, Status: qbconnect.CampaignActive,
		OldThumbprints: []string{}, NewSigner: rel.Signer, RolloutAt: rolloutAt.UTC(), ReminderAfter: qbconnect.Duration(in.ReminderAfter)}
	var conns []*qbconnect.CampaignConnection
	for _, r := range runs {
		if r.Thumbprint == rel.Signer.Thumbprint {
			continue
		}
		if !slices.Contains(c.OldThumbprints, r.Thumbprint) {
			c.OldThumbprints = append(c.OldThumbprints, r.Thumbprint)
		}
		conns = append(conns, s.campaignConnection(r))
	}
	slices.Sort(c.OldThumbprints)
	if len(conns) == 0 {
		c.Status = qbconnect.CampaignComplete
	}
	if err := s.cfg.Store.CreateCampaign(ctx, c, conns); err != nil {
		return nil, err
	}
	s.log.Info("rotation campaign started", "campaign", c.ID, "version", rel.Version, "newSigner", rel.Signer.Thumbprint,
		"oldSigners", c.OldThumbprints, "connections", len(conns), "rolloutAt", c.RolloutAt)
	if err := s.SendNotices(ctx, c.ID); err != nil {
		return c, err
	}
	// The publisher sees the counts at once (every connection Pending).
	stored, err := s.cfg.Store.Campaign(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return stored, s.fill(ctx, stored, "", true)
}

func (s *Service) campaignConnection(r *store.ConnectorRun) *qbconnect.CampaignConnection {
	return &qbconnect.CampaignConnection{
		ConnectionID: r.Connection.ID, OrgID: r.Connection.OrgID, CompanyID: r.Connection.CompanyID,
		CompanyName: r.CompanyName, ConnectorID: r.Connection.ConnectorID, File: r.Connection.File,
		State: qbconnect.CampaignPending, OldThumbprint: r.Thumbprint, HealthCode: r.Connection.Health.Code,
	}
}

// SendNotices queues the campaign notice to every affected organisation's
// contacts: one message each, listing exactly its affected companies. A
// notice already queued is not queued again.
func (s *Service) SendNotices(ctx context.Context, campaignID string) error {
	c, err := s.cfg.Store.Campaign(ctx, campaignID)
	if err != nil {
		return err
	}
	conns, err := s.cfg.Store.CampaignConnections(ctx, campaignID, "")
	if err != nil {
		return err
	}
	byOrg := map[string][]*qbconnect.CampaignConnection{}
	var orgs []string
	for _, cc := range conns {
		if byOrg[cc.OrgID] == nil {
			orgs = append(orgs, cc.OrgID)
		}
		byOrg[cc.OrgID] = append(byOrg[cc.OrgID], cc)
	}
	var errs []error
	for _, orgID := range orgs {
		data, err := s.noticeData(ctx, c, orgID, byOrg[orgID], false)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data.Cases = AllInstructions()
		if err := s.mail(ctx, orgID, "campaign_notice", "campaign:"+c.ID+":notice:"+orgID, notify.TemplateCampaignNotice, data); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return s.cfg.Store.SetCampaignNotified(ctx, c.ID, s.cfg.Now())
}

func (s *Service) noticeData(ctx context.Context, c *qbconnect.Campaign, orgID string, conns []*qbconnect.CampaignConnection, withSituation bool) (*notify.CampaignNotice, error) {
	org, err := s.cfg.Orgs.FindOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	rel, err := s.cfg.Store.FindRelease(ctx, c.Version)
	if err != nil {
		return nil, err
	}
	data := &notify.CampaignNotice{OrgName: org.Name, CampaignID: c.ID, Version: c.Version, RolloutAt: c.RolloutAt,
		NewSigner: fmt.Sprintf("%s, valid until %s", rel.Signer.CommonName, rel.Signer.NotAfter.Format("2 January 2006"))}
	var old []string
	for _, cc := range conns {
		if !slices.Contains(old, cc.OldThumbprint) {
			old = append(old, cc.OldThumbprint)
		}
		nc := notify.NoticeCompany{Name: cc.CompanyName, File: cc.File.Path}
		if withSituation {
			if in := instructionsFor(cc); in != nil {
				nc.Situation, nc.Steps = in.Situation, in.Steps
			}
		}
		data.Companies = append(data.Companies, nc)
	}
	data.OldSigner = s.describeSigners(ctx, old)
	return data, nil
}

func (s *Service) describeSigners(ctx context.Context, thumbprints []string) string {
	certs, err := s.cfg.Store.Certificates(ctx)
	if err != nil {
		return strings.Join(thumbprints, ", ")
	}
	var parts []string
	for _, tp := range thumbprints {
		d := "an unsigned build"
		if tp != "" {
			d = "certificate " + tp
			for _, c := range certs {
				if c.Thumbprint == tp && c.CommonName != "" {
					d = fmt.Sprintf("%s (%s)", c.CommonName, tp)
				}
			}
		}
		parts = append(parts, d)
	}
	return strings.Join(parts, " and ")
}

// mail renders a template and queues it to an organisation's contacts.
func (s *Service) mail(ctx context.Context, orgID, kind, dedupe, template string, data any) error {
	to, err := s.cfg.Store.Contacts(ctx, orgID)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		s.log.Warn("no contact address for the organisation; notice not emailed (set one with qbconnect release contacts)", "org", orgID, "kind", kind)
		return nil
	}
	return s.send(ctx, &qbconnect.Mail{Kind: kind, OrgID: orgID, To: to, DedupeKey: dedupe}, template, data)
}

func (s *Service) send(ctx context.Context, m *qbconnect.Mail, template string, data any) error {
	if err := s.tpl.Render(m, template, data); err != nil {
		return err
	}
	if s.cfg.Mail == nil {
		s.log.Warn("email is not configured; message not sent", "kind", m.Kind, "to", m.To, "subject", m.Subject)
		return nil
	}
	_, err := s.cfg.Mail.Queue(ctx, m)
	return err
}

// Track brings every active campaign up to date: each connection's state
// from what its connector runs and its health, a webhook for every change,
// reminders that are due, and the campaign's completion. It returns the
// number of connections whose state changed.
func (s *Service) Track(ctx context.Context) (int, error) {
	camps, err := s.cfg.Store.Campaigns(ctx)
	if err != nil {
		return 0, err
	}
	runs, err := s.cfg.Store.ConnectorRuns(ctx, "")
	if err != nil {
		return 0, err
	}
	byConn := map[string]*store.ConnectorRun{}
	for _, r := range runs {
		byConn[r.Connection.ID] = r
	}
	reports, err := s.cfg.Store.UpdateReports(ctx, "")
	if err != nil {
		return 0, err
	}
	changed := 0
	var errs []error
	for _, c := range camps {
		if c.Status != qbconnect.CampaignActive {
			continue
		}
		n, err := s.trackCampaign(ctx, c, byConn, reports)
		changed += n
		errs = append(errs, err)
	}
	return changed, errors.Join(errs...)
}

func (s *Service) trackCampaign(ctx context.Context, c *qbconnect.Campaign, byConn map[string]*store.ConnectorRun, reports []qbconnect.UpdateReport) (int, error) {
	conns, err := s.cfg.Store.CampaignConnections(ctx, c.ID, "")
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now().UTC()
	changed, open := 0, 0
	var errs []error
	for _, cc := range conns {
		before := *cc
		s.advance(cc, c, byConn[cc.ConnectionID], reports, now)
		if cc.State != qbconnect.CampaignReauthorized && cc.State != qbconnect.CampaignLeft {
			open++
		}
		if cc.State == before.State && cc.SubState == before.SubState && cc.HealthCode == before.HealthCode &&
			equalTime(cc.UpdatedAt, before.UpdatedAt) {
			continue
		}
		if err := s.cfg.Store.SaveCampaignConnection(ctx, cc); err != nil {
			errs = append(errs, err)
			continue
		}
		if cc.State == before.State && cc.SubState == before.SubState {
			continue
		}
		changed++
		s.log.Info("rotation campaign: connection changed", "campaign", c.ID, "connection", cc.ConnectionID, "company", cc.CompanyName,
			"from", before.State, "to", cc.State, "subState", cc.SubState)
		if s.cfg.Events != nil {
			view := *cc
			s.decorate(&view)
			data, err := json.Marshal(map[string]any{"campaignId": c.ID, "previousState": before.State, "connection": &view})
			if err == nil {
				err = s.cfg.Events.Emit(ctx, qbconnect.Event{Type: EventCampaignConnection, OrgID: cc.OrgID, CompanyID: cc.CompanyID,
					CreatedAt: now, Data: data})
			}
			if err != nil {
				s.log.Warn("rotation campaign: webhook failed", "campaign", c.ID, "connection", cc.ConnectionID, "err", err)
			}
		}
	}
	if err := s.remind(ctx, c, conns, now); err != nil {
		errs = append(errs, err)
	}
	if open == 0 {
		if err := s.cfg.Store.SetCampaignStatus(ctx, c.ID, qbconnect.CampaignComplete); err != nil {
			errs = append(errs, err)
		} else {
			s.log.Info("rotation campaign complete", "campaign", c.ID, "version", c.Version, "connections", len(conns))
		}
	}
	return changed, errors.Join(errs...)
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// advance computes a connection's campaign state.
func (s *Service) advance(cc *qbconnect.CampaignConnection, c *qbconnect.Campaign, run *store.ConnectorRun, reports []qbconnect.UpdateReport, now time.Time) {
	set := func(st qbconnect.CampaignState, sub string) {
		if cc.State != st || cc.SubState != sub {
			cc.State, cc.SubState, cc.Since = st, sub, now
		}
	}
	if cc.State == qbconnect.CampaignReauthorized || cc.State == qbconnect.CampaignLeft {
		return
	}
	if run == nil {
		set(qbconnect.CampaignLeft, "")
		return
	}
	h := run.Connection.Health
	cc.HealthCode = h.Code
	if run.Thumbprint != c.NewSigner.Thumbprint {
		set(qbconnect.CampaignPending, "")
		cc.UpdatedAt = nil
		return
	}
	if cc.UpdatedAt == nil {
		// When the connector updated itself, its report says when the new
		// version first ran; otherwise (installed by hand) now is the best
		// estimate.
		at := now
		for _, r := range reports {
			if r.ConnectorID == cc.ConnectorID && r.ToVersion == c.Version && r.Outcome == qbconnect.UpdateInstalled {
				at = r.At
			}
		}
		cc.UpdatedAt = &at
	}
	switch sub, waiting := subStateOf(h); {
	case h.Code == qbconnect.HealthOK && h.LastSuccessAt != nil && h.LastSuccessAt.After(*cc.UpdatedAt):
		set(qbconnect.CampaignReauthorized, "")
		t := now
		cc.ReauthorizedAt = &t
	case waiting:
		set(qbconnect.CampaignAwaiting, sub)
	case h.Code == qbconnect.HealthConnectorOffline || h.Code == qbconnect.HealthPaused:
		// Nothing new is known; keep the state.
		if cc.State == qbconnect.CampaignPending {
			set(qbconnect.CampaignUpdated, "")
		}
	case h.Code == qbconnect.HealthOK:
		if cc.State != qbconnect.CampaignAwaiting {
			set(qbconnect.CampaignUpdated, "")
		}
	default:
		set(qbconnect.CampaignAwaiting, qbconnect.SubOther)
	}
}

// subStateOf maps a connection's health (the connector's qbd condition) to
// the end user's situation. A wrong file found by the connector's own
// identity check (no HRESULT: QuickBooks let it in) means access was granted
// to the file that is open, not the linked one.
func subStateOf(h qbconnect.Health) (string, bool) {
	switch h.Code {
	case "auth_pending", "auth_required", "cert_changed":
		return qbconnect.SubPromptShowing, true
	case "wrong_file_open", "no_company_open", qbconnect.HealthFileMismatch:
		if h.QBCode == "" && h.Code != "no_company_open" {
			return qbconnect.SubApprovedWrongFile, true
		}
		return qbconnect.SubWrongFileOpen, true
	case "qb_closed", "qb_not_responding", "auto_login_not_allowed", "cannot_start", "qb_starting":
		return qbconnect.SubQBClosed, true
	case "access_denied", "access_removed":
		return qbconnect.SubDenied, true
	}
	return "", false
}

// remind queues one reminder per organisation for its connections still
// waiting ReminderAfter after their connector updated.
func (s *Service) remind(ctx context.Context, c *qbconnect.Campaign, conns []*qbconnect.CampaignConnection, now time.Time) error {
	if c.ReminderAfter <= 0 {
		return nil
	}
	byOrg := map[string][]*qbconnect.CampaignConnection{}
	for _, cc := range conns {
		waiting := cc.State == qbconnect.CampaignUpdated || cc.State == qbconnect.CampaignAwaiting
		if waiting && cc.RemindedAt == nil && cc.UpdatedAt != nil && now.Sub(*cc.UpdatedAt) >= time.Duration(c.ReminderAfter) {
			byOrg[cc.OrgID] = append(byOrg[cc.OrgID], cc)
		}
	}
	orgs := make([]string, 0, len(byOrg))
	for o := range byOrg {
		orgs = append(orgs, o)
	}
	sort.Strings(orgs)
	var errs []error
	for _, orgID := range orgs {
		list := byOrg[orgID]
		data, err := s.noticeData(ctx, c, orgID, list, true)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// One reminder per batch of connections: the key names the first.
		key := "campaign:" + c.ID + ":reminder:" + orgID + ":" + list[0].ConnectionID
		if err := s.mail(ctx, orgID, "campaign_reminder", key, notify.TemplateCampaignReminder, data); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, cc := range list {
			t := now
			cc.RemindedAt = &t
			if err := s.cfg.Store.SaveCampaignConnection(ctx, cc); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// decorate fills what a reader needs to act: whether the end user must act
// and the instructions for the exact situation.
func (s *Service) decorate(cc *qbconnect.CampaignConnection) {
	cc.Instructions = instructionsFor(cc)
	cc.NeedsAction = cc.State == qbconnect.CampaignAwaiting
}

// ListCampaigns implements qbconnect.CampaignService.
func (s *Service) ListCampaigns(ctx context.Context, orgID string) ([]*qbconnect.Campaign, error) {
	camps, err := s.cfg.Store.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	list := []*qbconnect.Campaign{}
	for _, c := range camps {
		if err := s.fill(ctx, c, orgID, true); err != nil {
			return nil, err
		}
		if orgID != "" && sum(c.Counts) == 0 {
			continue
		}
		list = append(list, c)
	}
	return list, nil
}

// FindCampaign implements qbconnect.CampaignService.
func (s *Service) FindCampaign(ctx context.Context, orgID, id string) (*qbconnect.Campaign, error) {
	c, err := s.cfg.Store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.fill(ctx, c, orgID, false); err != nil {
		return nil, err
	}
	if orgID != "" && sum(c.Counts) == 0 {
		return nil, qbconnect.Errorf(qbconnect.ENotFound, "rotation campaign %q not found", id)
	}
	return c, nil
}

// fill adds counts, the signer and connections (those needing action only,
// or all) of one organisation ("" for every one).
func (s *Service) fill(ctx context.Context, c *qbconnect.Campaign, orgID string, actionOnly bool) error {
	conns, err := s.cfg.Store.CampaignConnections(ctx, c.ID, orgID)
	if err != nil {
		return err
	}
	if rel, err := s.cfg.Store.FindRelease(ctx, c.Version); err == nil {
		c.NewSigner = rel.Signer
	}
	c.Counts = map[qbconnect.CampaignState]int{}
	for _, st := range []qbconnect.CampaignState{qbconnect.CampaignPending, qbconnect.CampaignUpdated, qbconnect.CampaignAwaiting,
		qbconnect.CampaignReauthorized, qbconnect.CampaignLeft} {
		c.Counts[st] = 0
	}
	c.Connections = []*qbconnect.CampaignConnection{}
	for _, cc := range conns {
		c.Counts[cc.State]++
		s.decorate(cc)
		if !actionOnly || cc.NeedsAction {
			c.Connections = append(c.Connections, cc)
		}
	}
	return nil
}

func sum(m map[qbconnect.CampaignState]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
