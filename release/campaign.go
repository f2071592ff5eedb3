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
	// The publisher sees the counts at once (every connection Offered).
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
		State: qbconnect.CampaignOffered, OldThumbprint: r.Thumbprint, HealthCode: r.Connection.Health.Code,
	}
}

// SendNotices queues the campaign notice to every affected organisation's
// contacts: one message each, listing exactly its affected companies, the
// date by which their customers should approve the new version and what
// they will see. A notice already queued is not queued again. The campaign
// is marked notified only when every affected organisation was told: one
// without a contact address is named in a warning to the operator, and
// the notice goes out on a later pass once it has one.
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
	var untold []string
	for _, orgID := range orgs {
		data, err := s.noticeData(ctx, c, orgID, byOrg[orgID], false)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data.Cases = AllInstructions()
		sent, err := s.mail(ctx, orgID, "campaign_notice", "campaign:"+c.ID+":notice:"+orgID, notify.TemplateCampaignNotice, data)
		if err != nil {
			errs = append(errs, err)
		} else if !sent {
			untold = append(untold, orgID)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(untold) > 0 {
		s.log.Warn("rotation campaign NOT notified: affected clients have no contact address; set one with `qbconnect release contacts ORG EMAIL` and the notice goes out on the next pass",
			"campaign", c.ID, "version", c.Version, "orgs", untold)
		return nil
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
	data.ApproveBy = c.RolloutAt
	if exp := s.oldExpiry(ctx, c); exp != nil {
		data.ApproveBy, data.OldExpires = *exp, *exp
	}
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

// mail renders a template and queues it to an organisation's contacts. It
// reports false, with a warning, when the organisation has no contact.
func (s *Service) mail(ctx context.Context, orgID, kind, dedupe, template string, data any) (bool, error) {
	to, err := s.cfg.Store.Contacts(ctx, orgID)
	if err != nil {
		return false, err
	}
	if len(to) == 0 {
		s.log.Warn("no contact address for the organisation; not emailed (set one with qbconnect release contacts)", "org", orgID, "kind", kind)
		return false, nil
	}
	return true, s.send(ctx, &qbconnect.Mail{Kind: kind, OrgID: orgID, To: to, DedupeKey: dedupe}, template, data)
}

func (s *Service) send(ctx context.Context, m *qbconnect.Mail, template string, data any) error {
	if err := s.tpl.Render(m, template, data); err != nil {
		return err
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
		if c.NotifiedAt == nil {
			// A client without a contact address at the start is told as
			// soon as it has one.
			errs = append(errs, s.SendNotices(ctx, c.ID))
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
		if !cc.State.Done() {
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
		s.announce(ctx, c.ID, before.State, cc, now)
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

// announce logs a connection's change of state and sends its
// rotation_campaign.connection_updated webhook.
func (s *Service) announce(ctx context.Context, campaignID string, from qbconnect.CampaignState, cc *qbconnect.CampaignConnection, now time.Time) {
	s.log.Info("rotation campaign: connection changed", "campaign", campaignID, "connection", cc.ConnectionID, "company", cc.CompanyName,
		"from", from, "to", cc.State, "subState", cc.SubState)
	if s.cfg.Events == nil {
		return
	}
	view := *cc
	s.decorate(&view)
	data, err := json.Marshal(map[string]any{"campaignId": campaignID, "previousState": from, "connection": &view})
	if err == nil {
		err = s.cfg.Events.Emit(ctx, qbconnect.Event{Type: EventCampaignConnection, OrgID: cc.OrgID, CompanyID: cc.CompanyID,
			CreatedAt: now, Data: data})
	}
	if err != nil {
		s.log.Warn("rotation campaign: webhook failed", "campaign", campaignID, "connection", cc.ConnectionID, "err", err)
	}
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// advance computes a connection's campaign state from what its connector
// runs and its health. States only a connector can know (Switched,
// FellBack, and the handover's CandidateInstalled, Denied and WrongFile
// while the old version still runs) come through ReportHandover and are
// not undone here: FellBack in particular gives way only to Approved
// (QuickBooks answered the new version) and Left, whatever the health
// says while the file waits for the new version's approval.
func (s *Service) advance(cc *qbconnect.CampaignConnection, c *qbconnect.Campaign, run *store.ConnectorRun, reports []qbconnect.UpdateReport, now time.Time) {
	set := func(st qbconnect.CampaignState, sub string) {
		if cc.State == qbconnect.CampaignFellBack && st != qbconnect.CampaignApproved && st != qbconnect.CampaignLeft {
			return
		}
		if cc.State != st || cc.SubState != sub {
			cc.State, cc.SubState, cc.Since = st, sub, now
		}
	}
	if cc.State.Done() {
		return
	}
	if run == nil {
		set(qbconnect.CampaignLeft, "")
		return
	}
	h := run.Connection.Health
	cc.HealthCode = h.Code
	if run.Thumbprint != c.NewSigner.Thumbprint {
		// Back to Offered only when the new version ran and the connector
		// went back (rolled back); a handover state reported while the old
		// version serves stays.
		if cc.UpdatedAt != nil {
			set(qbconnect.CampaignOffered, "")
			cc.UpdatedAt = nil
		}
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
	approved := h.Code == qbconnect.HealthOK && h.LastSuccessAt != nil && h.LastSuccessAt.After(*cc.UpdatedAt)
	if cc.State == qbconnect.CampaignFellBack && !approved {
		// The connector said why the file fell back (SubState); that
		// stands until QuickBooks approves the new version.
		return
	}
	switch sub, waiting := subStateOf(h); {
	case approved:
		set(qbconnect.CampaignApproved, "")
		t := now
		cc.ReauthorizedAt = &t
	case waiting && sub == qbconnect.SubDenied:
		set(qbconnect.CampaignDenied, "")
	case waiting && sub == qbconnect.SubApprovedWrongFile:
		set(qbconnect.CampaignWrongFile, "")
	case waiting:
		set(qbconnect.CampaignCandidateInstalled, sub)
	case h.Code == qbconnect.HealthConnectorOffline || h.Code == qbconnect.HealthPaused:
		// Nothing new is known; keep the state.
		if cc.State == qbconnect.CampaignOffered {
			set(qbconnect.CampaignCandidateInstalled, "")
		}
	case h.Code == qbconnect.HealthOK:
		if cc.State == qbconnect.CampaignOffered {
			set(qbconnect.CampaignCandidateInstalled, "")
		}
	default:
		set(qbconnect.CampaignCandidateInstalled, qbconnect.SubOther)
	}
}

// ReportHandover records the handover state a connector reports for one of
// its connections in every active campaign that covers it (Switched once
// the file is served by the new version, FellBack when the old one could
// not go on, and the steps before), with a webhook for each change. A
// state that is not a campaign state is EInvalid; a connection that is not
// the connector's, or in no active campaign, is ENotFound. Nothing changes
// for a connection already Switched or Left.
func (s *Service) ReportHandover(ctx context.Context, connectorID, connectionID string, state qbconnect.CampaignState, subState string) error {
	if !state.Valid() || state == qbconnect.CampaignLeft {
		return qbconnect.Errorf(qbconnect.EInvalid, "handover state %q: want one of %v (Left is the platform's)", state, qbconnect.CampaignStates[:7])
	}
	camps, err := s.cfg.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	found := false
	for _, c := range camps {
		if c.Status != qbconnect.CampaignActive {
			continue
		}
		conns, err := s.cfg.Store.CampaignConnections(ctx, c.ID, "")
		if err != nil {
			return err
		}
		for _, cc := range conns {
			if cc.ConnectionID != connectionID || cc.ConnectorID != connectorID {
				continue
			}
			found = true
			if cc.State == qbconnect.CampaignSwitched || cc.State == qbconnect.CampaignLeft || (cc.State == state && cc.SubState == subState) {
				continue
			}
			from := cc.State
			cc.State, cc.SubState, cc.Since = state, subState, now
			if state.Approved() && cc.ReauthorizedAt == nil {
				t := now
				cc.ReauthorizedAt = &t
			}
			if err := s.cfg.Store.SaveCampaignConnection(ctx, cc); err != nil {
				return err
			}
			s.announce(ctx, c.ID, from, cc, now)
		}
	}
	if !found {
		return qbconnect.Errorf(qbconnect.ENotFound, "connection %q of connector %q is in no active rotation campaign", connectionID, connectorID)
	}
	return nil
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

// reminderDays are the days before the old certificate expires at which
// clients with connections not yet approved are reminded.
var reminderDays = []int{30, 14, 7}

// remind queues the reminders that are due: 30, 14 and 7 days before the
// old certificate expires, one per organisation with connections not yet
// approved (a threshold already past when the notice went out is not
// reminded of: the notice said it); and, when the campaign has
// ReminderAfter, one per batch of connections still waiting that long
// after their connector updated.
func (s *Service) remind(ctx context.Context, c *qbconnect.Campaign, conns []*qbconnect.CampaignConnection, now time.Time) error {
	var errs []error
	if exp := s.oldExpiry(ctx, c); exp != nil && c.NotifiedAt != nil && now.Before(*exp) {
		left := exp.Sub(now)
		due := 0
		for _, d := range reminderDays { // descending: the nearest crossed wins
			th := time.Duration(d) * 24 * time.Hour
			if left <= th && c.NotifiedAt.Before(exp.Add(-th)) {
				due = d
			}
		}
		if due > 0 {
			errs = append(errs, s.remindBefore(ctx, c, conns, due))
		}
	}
	if c.ReminderAfter <= 0 {
		return errors.Join(errs...)
	}
	byOrg := map[string][]*qbconnect.CampaignConnection{}
	for _, cc := range conns {
		waiting := !cc.State.Done() && cc.State != qbconnect.CampaignOffered
		if waiting && cc.RemindedAt == nil && cc.UpdatedAt != nil && now.Sub(*cc.UpdatedAt) >= time.Duration(c.ReminderAfter) {
			byOrg[cc.OrgID] = append(byOrg[cc.OrgID], cc)
		}
	}
	for _, orgID := range sortedKeys(byOrg) {
		list := byOrg[orgID]
		data, err := s.noticeData(ctx, c, orgID, list, true)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// One reminder per batch of connections: the key names the first.
		key := "campaign:" + c.ID + ":reminder:" + orgID + ":" + list[0].ConnectionID
		if _, err := s.mail(ctx, orgID, "campaign_reminder", key, notify.TemplateCampaignReminder, data); err != nil {
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

// remindBefore sends the reminder of `days` before expiry to every
// organisation with connections not yet approved, once (recorded in the
// store, so a restart or a second platform process does not repeat it).
func (s *Service) remindBefore(ctx context.Context, c *qbconnect.Campaign, conns []*qbconnect.CampaignConnection, days int) error {
	byOrg := map[string][]*qbconnect.CampaignConnection{}
	for _, cc := range conns {
		if !cc.State.Done() {
			byOrg[cc.OrgID] = append(byOrg[cc.OrgID], cc)
		}
	}
	var errs []error
	for _, orgID := range sortedKeys(byOrg) {
		first, err := s.cfg.Store.MarkCampaignReminder(ctx, c.ID, orgID, days)
		if err != nil || !first {
			errs = append(errs, err)
			continue
		}
		data, err := s.noticeData(ctx, c, orgID, byOrg[orgID], true)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data.DaysLeft = days
		key := fmt.Sprintf("campaign:%s:reminder:%s:%dd", c.ID, orgID, days)
		if _, err := s.mail(ctx, orgID, "campaign_reminder", key, notify.TemplateCampaignReminder, data); err != nil {
			errs = append(errs, err)
		}
		s.log.Info("rotation campaign: expiry reminder", "campaign", c.ID, "org", orgID, "daysBefore", days, "connections", len(byOrg[orgID]))
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// oldExpiry returns when the first of a campaign's old certificates
// expires, or nil when none's expiry is known.
func (s *Service) oldExpiry(ctx context.Context, c *qbconnect.Campaign) *time.Time {
	certs, err := s.cfg.Store.Certificates(ctx)
	if err != nil {
		s.log.Warn("rotation campaign: reading certificates", "campaign", c.ID, "err", err)
		return nil
	}
	var first *time.Time
	for _, cert := range certs {
		if cert.NotAfter.IsZero() || !slices.Contains(c.OldThumbprints, cert.Thumbprint) {
			continue
		}
		if t := cert.NotAfter.UTC(); first == nil || t.Before(*first) {
			first = &t
		}
	}
	return first
}

// decorate fills what a reader needs to act: whether the end user must act
// and the instructions for the exact situation.
func (s *Service) decorate(cc *qbconnect.CampaignConnection) {
	cc.Instructions = instructionsFor(cc)
	cc.NeedsAction = needsAction(cc)
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
	for _, st := range qbconnect.CampaignStates {
		c.Counts[st] = 0
	}
	c.OldCertificateExpiresAt = s.oldExpiry(ctx, c)
	c.Connections = []*qbconnect.CampaignConnection{}
	untold := map[string]bool{}
	for _, cc := range conns {
		if orgID == "" && c.NotifiedAt == nil && !untold[cc.OrgID] {
			if to, err := s.cfg.Store.Contacts(ctx, cc.OrgID); err == nil && len(to) == 0 {
				untold[cc.OrgID] = true
				c.NotNotified = append(c.NotNotified, cc.OrgID)
			}
		}
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
