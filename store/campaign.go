package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/qbconnect/qbconnect"
)

// CreateCampaign stores a campaign with its affected connections and links
// the release to it, in one transaction. It sets c.ID and c.CreatedAt.
func (s *ReleaseStore) CreateCampaign(ctx context.Context, c *qbconnect.Campaign, conns []*qbconnect.CampaignConnection) error {
	id, err := s.db.newID("rot")
	if err != nil {
		return err
	}
	now := s.db.now()
	old, err := json.Marshal(c.OldThumbprints)
	if err != nil {
		return err
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO campaigns (id, release_id, version, status, old_thumbprints, new_thumbprint, rollout_at, reminder_after, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, c.ReleaseID, c.Version, string(c.Status), string(old), c.NewSigner.Thumbprint,
			micros(c.RolloutAt), int64(c.ReminderAfter), micros(now))
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, "UPDATE releases SET campaign_id = ? WHERE id = ? AND campaign_id = ''", id, c.ReleaseID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.EConflict, "release %s already has a campaign (or does not exist)", c.Version)
		}
		for _, cc := range conns {
			cc.CampaignID = id
			if cc.Since.IsZero() {
				cc.Since = now
			}
			if err := insertCampaignConnection(ctx, tx, cc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create campaign for %s: %w", c.Version, err)
	}
	c.ID, c.CreatedAt = id, now
	return nil
}

func insertCampaignConnection(ctx context.Context, tx *tx, cc *qbconnect.CampaignConnection) error {
	file, err := json.Marshal(cc.File)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO campaign_connections (campaign_id, connection_id, org_id, company_id, company_name, connector_id, file,
		state, sub_state, health_code, old_thumbprint, since, updated_at, reauthorized_at, reminded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		cc.CampaignID, cc.ConnectionID, cc.OrgID, cc.CompanyID, cc.CompanyName, cc.ConnectorID, string(file),
		string(cc.State), cc.SubState, cc.HealthCode, cc.OldThumbprint, micros(cc.Since),
		nullMicros(cc.UpdatedAt), nullMicros(cc.ReauthorizedAt), nullMicros(cc.RemindedAt))
	// ON CONFLICT, not a caught unique violation, which would abort a
	// PostgreSQL transaction: a connection already in the campaign stays.
	return err
}

// AddCampaignConnection adds a connection to a campaign (one linked during
// it); a connection already in it is left as it is.
func (s *ReleaseStore) AddCampaignConnection(ctx context.Context, cc *qbconnect.CampaignConnection) error {
	return s.db.inTx(ctx, func(tx *tx) error { return insertCampaignConnection(ctx, tx, cc) })
}

const campaignColumns = `id, release_id, version, status, old_thumbprints, new_thumbprint, rollout_at, reminder_after,
	created_at, notified_at, completed_at`

func scanCampaign(row interface{ Scan(...any) error }) (*qbconnect.Campaign, error) {
	c := &qbconnect.Campaign{}
	var old string
	var rollout, reminder, created int64
	var notified, completed sql.NullInt64
	if err := row.Scan(&c.ID, &c.ReleaseID, &c.Version, &c.Status, &old, &c.NewSigner.Thumbprint, &rollout, &reminder,
		&created, &notified, &completed); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(old), &c.OldThumbprints); err != nil {
		return nil, fmt.Errorf("campaign %s: %w", c.ID, err)
	}
	c.RolloutAt, c.CreatedAt = fromMicros(rollout), fromMicros(created)
	c.ReminderAfter = qbconnect.Duration(reminder)
	c.NotifiedAt, c.CompletedAt = timePtr(notified), timePtr(completed)
	return c, nil
}

// Campaigns returns every campaign, newest first, without connections.
func (s *ReleaseStore) Campaigns(ctx context.Context) ([]*qbconnect.Campaign, error) {
	list := []*qbconnect.Campaign{}
	err := s.scanEach(ctx, "SELECT "+campaignColumns+" FROM campaigns ORDER BY seq DESC", func(sc func(...any) error) error {
		c, err := scanCampaign(scanFunc(sc))
		if err != nil {
			return err
		}
		list = append(list, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return list, nil
}

type scanFunc func(...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// Campaign returns one campaign without connections; ENotFound when
// unknown.
func (s *ReleaseStore) Campaign(ctx context.Context, id string) (*qbconnect.Campaign, error) {
	c, err := scanCampaign(s.db.queryRow(ctx, "SELECT "+campaignColumns+" FROM campaigns WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "rotation campaign", id)
	}
	return c, nil
}

// CampaignConnections returns a campaign's connections, of one organisation
// or ("" ) of all, ordered by organisation and company name.
func (s *ReleaseStore) CampaignConnections(ctx context.Context, campaignID, orgID string) ([]*qbconnect.CampaignConnection, error) {
	list := []*qbconnect.CampaignConnection{}
	err := s.scanEach(ctx, `SELECT campaign_id, connection_id, org_id, company_id, company_name, connector_id, file, state, sub_state,
		health_code, old_thumbprint, since, updated_at, reauthorized_at, reminded_at
		FROM campaign_connections WHERE campaign_id = ? AND (? = '' OR org_id = ?) ORDER BY org_id, company_name, connection_id`,
		func(sc func(...any) error) error {
			cc := &qbconnect.CampaignConnection{}
			var file string
			var since int64
			var updated, reauth, reminded sql.NullInt64
			if err := sc(&cc.CampaignID, &cc.ConnectionID, &cc.OrgID, &cc.CompanyID, &cc.CompanyName, &cc.ConnectorID, &file,
				&cc.State, &cc.SubState, &cc.HealthCode, &cc.OldThumbprint, &since, &updated, &reauth, &reminded); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(file), &cc.File); err != nil {
				return err
			}
			cc.Since = fromMicros(since)
			cc.UpdatedAt, cc.ReauthorizedAt, cc.RemindedAt = timePtr(updated), timePtr(reauth), timePtr(reminded)
			list = append(list, cc)
			return nil
		}, campaignID, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("campaign connections: %w", err)
	}
	return list, nil
}

// SaveCampaignConnection writes a connection's campaign state.
func (s *ReleaseStore) SaveCampaignConnection(ctx context.Context, cc *qbconnect.CampaignConnection) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE campaign_connections SET state = ?, sub_state = ?, health_code = ?, since = ?,
			updated_at = ?, reauthorized_at = ?, reminded_at = ? WHERE campaign_id = ? AND connection_id = ?`,
			string(cc.State), cc.SubState, cc.HealthCode, micros(cc.Since), nullMicros(cc.UpdatedAt), nullMicros(cc.ReauthorizedAt),
			nullMicros(cc.RemindedAt), cc.CampaignID, cc.ConnectionID)
		return err
	})
}

// SetCampaignNotified records when the clients were told about a campaign.
func (s *ReleaseStore) SetCampaignNotified(ctx context.Context, id string, at time.Time) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, "UPDATE campaigns SET notified_at = ? WHERE id = ? AND notified_at IS NULL", micros(at), id)
		return err
	})
}

// SetCampaignStatus sets a campaign's status; Complete records when.
func (s *ReleaseStore) SetCampaignStatus(ctx context.Context, id string, st qbconnect.CampaignStatus) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		var completed any
		if st == qbconnect.CampaignComplete {
			completed = micros(s.db.now())
		}
		_, err := tx.exec(ctx, "UPDATE campaigns SET status = ?, completed_at = ? WHERE id = ?", string(st), completed, id)
		return err
	})
}

// MarkCampaignReminder records that an organisation was reminded of a
// campaign `days` before the old certificate expires. It reports false when
// it had been before (by this process or another).
func (s *ReleaseStore) MarkCampaignReminder(ctx context.Context, campaignID, orgID string, days int) (bool, error) {
	first := false
	err := s.db.inTx(ctx, func(tx *tx) error {
		// ON CONFLICT, as in MarkWarning: a caught unique violation
		// aborts a PostgreSQL transaction.
		res, err := tx.exec(ctx, "INSERT INTO campaign_reminders (campaign_id, org_id, days_before, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			campaignID, orgID, days, micros(s.db.now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark campaign reminder: %w", err)
	}
	return first, nil
}
