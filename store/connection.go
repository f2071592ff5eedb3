package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// ConnectionStore keeps connections, link codes and connectors.
type ConnectionStore struct {
	db      *DB
	changed qbconnect.ConnectionChangeFunc // see OnChange
}

// OnChange makes fn run in the transaction of every change of a
// connection made through s (SetHealth, SetPaused, UnlinkConnection,
// RedeemLink, RevokeConnector, LinkWebConnector), with the connection
// before and after it, so that its events are recorded with the change
// (an outbox). Call it before s is used.
func (s *ConnectionStore) OnChange(fn qbconnect.ConnectionChangeFunc) { s.changed = fn }

// snapshot returns the connections ids as tx sees them, for changed; nil
// without a hook.
func (s *ConnectionStore) snapshot(ctx context.Context, tx *tx, ids ...string) ([]*qbconnect.Connection, error) {
	if s.changed == nil {
		return nil, nil
	}
	list := make([]*qbconnect.Connection, 0, len(ids))
	for _, id := range ids {
		c, err := scanConnection(tx.queryRow(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ?", id))
		if err != nil {
			return nil, notFound(err, "connection", id)
		}
		list = append(list, c)
	}
	return list, nil
}

// afterChange runs the hook for each connection of before (a snapshot
// taken before the change in tx) with the connection as tx leaves it.
func (s *ConnectionStore) afterChange(ctx context.Context, tx *tx, before []*qbconnect.Connection) error {
	for _, b := range before {
		after, err := s.snapshot(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		if err := s.changed(ctx, tx, b, after[0]); err != nil {
			return err
		}
	}
	return nil
}

var _ qbconnect.ConnectionService = (*ConnectionStore)(nil)

// NewConnectionStore returns the connection service of db.
func NewConnectionStore(db *DB) *ConnectionStore { return &ConnectionStore{db: db} }

// connectorCredentialPrefix starts every connector credential.
const connectorCredentialPrefix = "qbc_"

// lastSeenGranularity limits how often authentication writes LastSeenAt.
const lastSeenGranularity = 30 * time.Second

const connectionColumns = `id, org_id, company_id, kind, status, COALESCE(connector_id, ''),
	file_path, file_company_name, file_id, paused, paused_until, paused_by, pause_change_at,
	health_code, health_message, health_resolution, health_qb_code, health_since, needs_user,
	last_request_at, last_success_at, created_at, updated_at, linked_at`

func scanConnection(row interface{ Scan(...any) error }) (*qbconnect.Connection, error) {
	c := &qbconnect.Connection{}
	var pausedUntil, pauseChange, lastReq, lastOK, linked sql.NullInt64
	var since, created, updated int64
	err := row.Scan(&c.ID, &c.OrgID, &c.CompanyID, &c.Kind, &c.Status, &c.ConnectorID,
		&c.File.Path, &c.File.CompanyName, &c.File.FileID, &c.Paused, &pausedUntil, &c.PausedBy, &pauseChange,
		&c.Health.Code, &c.Health.Message, &c.Health.Resolution, &c.Health.QBCode, &since, &c.Health.NeedsUser,
		&lastReq, &lastOK, &created, &updated, &linked)
	if err != nil {
		return nil, err
	}
	c.PausedUntil, c.PauseChangeAt = timePtr(pausedUntil), timePtr(pauseChange)
	c.Health.Since = fromMicros(since)
	c.Health.LastRequestAt, c.Health.LastSuccessAt = timePtr(lastReq), timePtr(lastOK)
	c.CreatedAt, c.UpdatedAt, c.LinkedAt = fromMicros(created), fromMicros(updated), timePtr(linked)
	return c, nil
}

// neverConnected is the health of a connection that no connector or Web
// Connector has used yet.
func neverConnected(kind qbconnect.ConnectionKind, now time.Time) qbconnect.Health {
	h := qbconnect.Health{
		Code:       qbconnect.HealthNeverConnected,
		Message:    "QuickBooks has not been connected yet.",
		Resolution: "Install the qbconnect connector on the PC that runs QuickBooks and enter the link code.",
		Since:      now,
		NeedsUser:  true,
	}
	if kind == qbconnect.KindWebConnector {
		h.Resolution = "Add the .qwc file to the QuickBooks Web Connector on the PC that runs QuickBooks and enter its password."
	}
	return h
}

// CreateConnection creates a PendingAuth connection for a company, setting
// its ID, status, health and times. ENotFound for an unknown company,
// EConflict when the company already has an active connection.
func (s *ConnectionStore) CreateConnection(ctx context.Context, c *qbconnect.Connection) error {
	if c.Kind != qbconnect.KindConnector && c.Kind != qbconnect.KindWebConnector {
		return qbconnect.Errorf(qbconnect.EInvalid, "connection kind %q: want %q or %q", c.Kind, qbconnect.KindConnector, qbconnect.KindWebConnector)
	}
	if _, err := NewCompanyStore(s.db).FindCompany(ctx, c.OrgID, c.CompanyID); err != nil {
		return err
	}
	id, err := s.db.newID("con")
	if err != nil {
		return err
	}
	now := s.db.now()
	h := neverConnected(c.Kind, now)
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO connections (id, org_id, company_id, kind, status,
			health_code, health_message, health_resolution, health_since, needs_user, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, c.OrgID, c.CompanyID, c.Kind, qbconnect.StatusPendingAuth,
			h.Code, h.Message, h.Resolution, micros(h.Since), h.NeedsUser, micros(now), micros(now))
		if isUniqueViolation(err) {
			return &qbconnect.Error{Code: qbconnect.EConflict, Message: fmt.Sprintf("company %s already has an active connection", c.CompanyID),
				Resolution: "Unlink the existing connection first."}
		}
		return err
	})
	if err != nil {
		return err
	}
	c.ID, c.Status, c.Health, c.CreatedAt, c.UpdatedAt = id, qbconnect.StatusPendingAuth, h, now, now
	c.ConnectorID, c.File, c.Paused, c.PausedUntil, c.LinkedAt = "", qbconnect.FileIdentity{}, false, nil, nil
	return nil
}

// FindConnection returns ENotFound for an unknown or other-org ID.
func (s *ConnectionStore) FindConnection(ctx context.Context, orgID, id string) (*qbconnect.Connection, error) {
	c, err := scanConnection(s.db.queryRow(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ?", id))
	if c != nil {
		err = inOrg(err, c.OrgID, orgID)
	}
	if err != nil {
		return nil, notFound(err, "connection", id)
	}
	return c, nil
}

// LookupConnection returns a connection by ID without an organisation scope.
func (s *ConnectionStore) LookupConnection(ctx context.Context, id string) (*qbconnect.Connection, error) {
	c, err := scanConnection(s.db.queryRow(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "connection", id)
	}
	return c, nil
}

// ActiveConnection returns the company's active connection, or ENotFound.
func (s *ConnectionStore) ActiveConnection(ctx context.Context, orgID, companyID string) (*qbconnect.Connection, error) {
	c, err := scanConnection(s.db.queryRow(ctx, "SELECT "+connectionColumns+
		" FROM connections WHERE org_id = ? AND company_id = ? AND status <> ?", orgID, companyID, qbconnect.StatusUnlinked))
	if err != nil {
		return nil, notFound(err, "active connection of company", companyID)
	}
	return c, nil
}

// ListConnections returns every connection of a company, oldest first.
func (s *ConnectionStore) ListConnections(ctx context.Context, orgID, companyID string) ([]*qbconnect.Connection, error) {
	return s.list(ctx, "org_id = ? AND company_id = ?", orgID, companyID)
}

// ConnectorConnections returns the connections a connector serves (every
// one not Unlinked), oldest first.
func (s *ConnectionStore) ConnectorConnections(ctx context.Context, connectorID string) ([]*qbconnect.Connection, error) {
	return s.list(ctx, "connector_id = ? AND status <> ?", connectorID, qbconnect.StatusUnlinked)
}

func (s *ConnectionStore) list(ctx context.Context, where string, args ...any) ([]*qbconnect.Connection, error) {
	rows, err := s.db.query(ctx, "SELECT "+connectionColumns+" FROM connections WHERE "+where+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("list connections: %w", err)
		}
		list = append(list, c)
	}
	return list, rows.Err()
}

// UnlinkConnection marks it Unlinked and cancels its queued operations.
// Operations in flight finish; unlinking an unlinked connection does nothing.
func (s *ConnectionStore) UnlinkConnection(ctx context.Context, orgID, id string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		var status qbconnect.ConnectionStatus
		var org string
		err := tx.queryRow(ctx, "SELECT status, org_id FROM connections WHERE id = ?"+s.db.forUpdate("FOR UPDATE"), id).Scan(&status, &org)
		if err = inOrg(err, org, orgID); err != nil {
			return notFound(err, "connection", id)
		}
		if status == qbconnect.StatusUnlinked {
			return nil
		}
		before, err := s.snapshot(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := unlinkConnection(ctx, tx, id, s.db.now()); err != nil {
			return err
		}
		return s.afterChange(ctx, tx, before)
	})
}

func unlinkConnection(ctx context.Context, tx *tx, id string, now time.Time) error {
	var connectorID string
	err := tx.queryRow(ctx, `UPDATE connections SET status = ?, updated_at = ? WHERE id = ? RETURNING COALESCE(connector_id, '')`,
		qbconnect.StatusUnlinked, micros(now), id).Scan(&connectorID)
	if err != nil {
		return fmt.Errorf("unlink connection %s: %w", id, err)
	}
	e := qbconnect.Errorf(qbconnect.EConflict, "the connection was unlinked before the operation ran")
	if _, err := tx.exec(ctx, `UPDATE operations SET status = ?, error = ?, updated_at = ?, completed_at = ?
		WHERE connection_id = ? AND status = ?`,
		qbconnect.OpCanceled, encodeError(e), micros(now), micros(now), id, qbconnect.OpQueued); err != nil {
		return fmt.Errorf("unlink connection %s: cancel operations: %w", id, err)
	}
	if err := notifyConnectionsChanged(ctx, tx, connectorID); err != nil {
		return err
	}
	return tx.notify(ctx, id)
}

// SetHealth records the connection's current health. Since is kept when the
// code does not change, and set to now when it does and h.Since is zero.
// Nil LastRequestAt or LastSuccessAt keep the stored times. Clearing
// NeedsUser wakes the connector, so waiting work resumes.
func (s *ConnectionStore) SetHealth(ctx context.Context, id string, h qbconnect.Health) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		before, err := s.snapshot(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := setHealth(ctx, tx, id, h); err != nil {
			return err
		}
		return s.afterChange(ctx, tx, before)
	})
}

func setHealth(ctx context.Context, tx *tx, id string, h qbconnect.Health) error {
	cur, err := lockConnection(ctx, tx, id)
	if err != nil {
		return err
	}
	_, err = setHealthOf(ctx, tx, cur, h)
	return err
}

// lockConnection reads the connection, locked for the rest of tx.
func lockConnection(ctx context.Context, tx *tx, id string) (*qbconnect.Connection, error) {
	c, err := scanConnection(tx.queryRow(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ?"+tx.db.forUpdate("FOR UPDATE"), id))
	if err != nil {
		return nil, notFound(err, "connection", id)
	}
	return c, nil
}

// setHealthOf sets the health of cur, the connection as tx holds it
// locked (lockConnection), and returns the connection as it leaves it.
func setHealthOf(ctx context.Context, tx *tx, cur *qbconnect.Connection, h qbconnect.Health) (*qbconnect.Connection, error) {
	if h.Code == "" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "health code is required")
	}
	was := cur.Health
	// The same health again (every result says "Connected") changes only
	// times that no connector's poll reads: the connector is woken (the
	// queue's caller relies on it) but the connections it remembers stand.
	same := was.Code == h.Code && was.Message == h.Message && was.Resolution == h.Resolution && was.QBCode == h.QBCode && was.NeedsUser == h.NeedsUser
	now := tx.db.now()
	since := micros(was.Since)
	switch {
	case was.Code == h.Code:
		// Keep since: the same condition goes on.
	case h.Since.IsZero():
		since = micros(now)
	default:
		since = micros(h.Since)
	}
	after, err := scanConnection(tx.queryRow(ctx, `UPDATE connections SET health_code = ?, health_message = ?, health_resolution = ?, health_qb_code = ?,
		health_since = ?, needs_user = ?, last_request_at = COALESCE(?, last_request_at),
		last_success_at = COALESCE(?, last_success_at), updated_at = ? WHERE id = ? RETURNING `+connectionColumns,
		h.Code, h.Message, h.Resolution, h.QBCode, since, h.NeedsUser,
		nullMicros(h.LastRequestAt), nullMicros(h.LastSuccessAt), micros(now), cur.ID))
	if err != nil {
		return nil, fmt.Errorf("set health of %s: %w", cur.ID, err)
	}
	if same {
		err = tx.notify(ctx, cur.ConnectorID)
	} else {
		err = notifyConnectionsChanged(ctx, tx, cur.ConnectorID)
	}
	if err != nil {
		return nil, err
	}
	return after, tx.notify(ctx, cur.ID)
}

// SetPaused pauses or resumes a connection; resuming wakes its connector.
// A connector's change not newer than the last one applied changes
// nothing, which the connection's row, locked, decides.
func (s *ConnectionStore) SetPaused(ctx context.Context, orgID, id string, p qbconnect.Pause) (*qbconnect.Connection, error) {
	until, by := p.Until, p.By
	if !p.Paused {
		until, by = nil, ""
	}
	err := s.db.inTx(ctx, func(tx *tx) error {
		var connectorID, org string
		var lastChange sql.NullInt64
		err := tx.queryRow(ctx, "SELECT COALESCE(connector_id, ''), pause_change_at, org_id FROM connections WHERE id = ?"+
			s.db.forUpdate("FOR UPDATE"), id).Scan(&connectorID, &lastChange, &org)
		if err = inOrg(err, org, orgID); err != nil {
			return notFound(err, "connection", id)
		}
		before, err := s.snapshot(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.ChangeAt != nil {
			at := micros(*p.ChangeAt)
			if lastChange.Valid && at <= lastChange.Int64 {
				return nil // applied already
			}
			lastChange = sql.NullInt64{Int64: at, Valid: true}
		}
		if _, err := tx.exec(ctx, `UPDATE connections SET paused = ?, paused_until = ?, paused_by = ?, pause_change_at = ?, updated_at = ?
			WHERE id = ?`, p.Paused, nullMicros(until), string(by), lastChange, micros(s.db.now()), id); err != nil {
			return fmt.Errorf("set paused of %s: %w", id, err)
		}
		if err := notifyConnectionsChanged(ctx, tx, connectorID); err != nil {
			return err
		}
		if err := tx.notify(ctx, id); err != nil {
			return err
		}
		return s.afterChange(ctx, tx, before)
	})
	if err != nil {
		return nil, err
	}
	return s.FindConnection(ctx, orgID, id)
}

// CreateLinkCode issues a single-use code valid for ttl (0 means the
// store's LinkCodeTTL, one hour by default) for a connector connection that
// is not Unlinked. The code is returned once; only its hash is stored.
func (s *ConnectionStore) CreateLinkCode(ctx context.Context, orgID, connectionID string, ttl time.Duration) (*qbconnect.LinkCode, error) {
	if ttl < 0 {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "link code lifetime %s is negative", ttl)
	}
	if ttl == 0 {
		ttl = s.db.opts.LinkCodeTTL
	}
	c, err := s.FindConnection(ctx, orgID, connectionID)
	if err != nil {
		return nil, err
	}
	if c.Kind != qbconnect.KindConnector {
		return nil, qbconnect.Errorf(qbconnect.EConflict, "connection %s uses the Web Connector, which links with a .qwc file, not a link code", c.ID)
	}
	if c.Status == qbconnect.StatusUnlinked {
		return nil, qbconnect.Errorf(qbconnect.EConflict, "connection %s is unlinked; create a new connection", c.ID)
	}
	code, err := s.db.newLinkCode()
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	lc := &qbconnect.LinkCode{Code: code, OrgID: orgID, CompanyID: c.CompanyID, ConnectionID: c.ID, ExpiresAt: now.Add(ttl)}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO link_codes (code_hash, org_id, company_id, connection_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, hashSecret(code), orgID, c.CompanyID, c.ID, micros(now), micros(lc.ExpiresAt))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create link code: %w", err)
	}
	return lc, nil
}

// RedeemLinkCode marks the code used and links its connection to a
// connector and a company file. With connectorID "" it creates the
// connector and returns its credential ("qbc_" and 32 characters), shown
// only this once; with an existing connector (a multi-company PC) the
// credential is "". An empty file.FileID gets a new private ID that the
// connector stamps into the file. EUnauthorized for an unknown, used or
// expired code and for a revoked connector; nothing changes then.
func (s *ConnectionStore) RedeemLinkCode(ctx context.Context, code, connectorID string, file qbconnect.FileIdentity) (*qbconnect.Connection, *qbconnect.Connector, string, error) {
	return s.RedeemLink(ctx, code, connectorID, file, nil)
}

// RedeemLink redeems the code and records what the connector reports about
// itself in one transaction: nothing is linked, and the code stays unused,
// unless all of it is stored.
func (s *ConnectionStore) RedeemLink(ctx context.Context, code, connectorID string, file qbconnect.FileIdentity, about *qbconnect.Connector) (*qbconnect.Connection, *qbconnect.Connector, string, error) {
	if strings.TrimSpace(file.Path) == "" {
		return nil, nil, "", qbconnect.Errorf(qbconnect.EInvalid, "the company file path is required to link")
	}
	texts := map[string]string{"code": code, "file.path": file.Path, "file.companyName": file.CompanyName, "file.fileId": file.FileID}
	if about != nil {
		texts["connector.version"], texts["connector.signer"] = about.Version, about.Signer
		texts["connector.thumbprint"], texts["connector.hostname"] = about.Thumbprint, about.Hostname
	}
	if err := checkText(texts); err != nil {
		return nil, nil, "", err
	}
	var connID, credential string
	var ctr *qbconnect.Connector
	err := s.db.inTx(ctx, func(tx *tx) error {
		now := s.db.now()
		var expires int64
		var used sql.NullInt64
		hash := hashSecret(normalizeLinkCode(code))
		err := tx.queryRow(ctx, "SELECT connection_id, expires_at, used_at FROM link_codes WHERE code_hash = ?"+s.db.forUpdate("FOR UPDATE"),
			hash).Scan(&connID, &expires, &used)
		switch {
		case err == sql.ErrNoRows:
			return qbconnect.Errorf(qbconnect.EUnauthorized, "unknown link code")
		case err != nil:
			return fmt.Errorf("redeem link code: %w", err)
		case used.Valid:
			return qbconnect.Errorf(qbconnect.EUnauthorized, "link code was already used")
		case expires <= micros(now):
			return qbconnect.Errorf(qbconnect.EUnauthorized, "link code expired")
		}
		var status qbconnect.ConnectionStatus
		if err := tx.queryRow(ctx, "SELECT status FROM connections WHERE id = ?"+s.db.forUpdate("FOR UPDATE"), connID).Scan(&status); err != nil {
			return fmt.Errorf("redeem link code: %w", err)
		}
		if status == qbconnect.StatusUnlinked {
			return qbconnect.Errorf(qbconnect.EUnauthorized, "link code belongs to an unlinked connection")
		}
		if connectorID == "" {
			ctr, credential, err = s.createConnector(ctx, tx, now)
		} else {
			ctr, err = findConnector(ctx, tx, connectorID)
			if err == nil && ctr.RevokedAt != nil {
				err = qbconnect.Errorf(qbconnect.EUnauthorized, "connector %s was revoked", connectorID)
			}
		}
		if err != nil {
			return err
		}
		if file.FileID == "" {
			if file.FileID, err = s.db.newID("fid"); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, "UPDATE link_codes SET used_at = ? WHERE code_hash = ?", micros(now), hash); err != nil {
			return fmt.Errorf("redeem link code: %w", err)
		}
		before, err := s.snapshot(ctx, tx, connID)
		if err != nil {
			return err
		}
		if err := link(ctx, tx, connID, ctr.ID, file, now); err != nil {
			return err
		}
		if err := s.afterChange(ctx, tx, before); err != nil {
			return err
		}
		if about != nil {
			if _, err := tx.exec(ctx, "UPDATE connectors SET version = ?, signer = ?, thumbprint = ?, hostname = ?, last_seen_at = ? WHERE id = ?",
				about.Version, about.Signer, about.Thumbprint, about.Hostname, micros(now), ctr.ID); err != nil {
				return fmt.Errorf("redeem link code: record the connector: %w", err)
			}
			ctr.Version, ctr.Signer, ctr.Thumbprint, ctr.Hostname = about.Version, about.Signer, about.Thumbprint, about.Hostname
			ctr.LastSeenAt = &now
		}
		return notifyConnectionsChanged(ctx, tx, ctr.ID)
	})
	if err != nil {
		return nil, nil, "", err
	}
	c, err := s.LookupConnection(ctx, connID)
	if err != nil {
		return nil, nil, "", err
	}
	return c, ctr, credential, nil
}

// link marks a connection Linked to a connector (or "" for the Web
// Connector) and a file, with health ok.
func link(ctx context.Context, tx *tx, connID, connectorID string, file qbconnect.FileIdentity, now time.Time) error {
	// The connector that served the connection until now stops serving
	// it: its dispatcher state (cached connections) is out of date.
	var previous string
	if err := tx.queryRow(ctx, "SELECT COALESCE(connector_id, '') FROM connections WHERE id = ?", connID).Scan(&previous); err != nil {
		return fmt.Errorf("link connection %s: %w", connID, err)
	}
	if previous != connectorID {
		if err := notifyConnectionsChanged(ctx, tx, previous); err != nil {
			return err
		}
	}
	_, err := tx.exec(ctx, `UPDATE connections SET status = ?, connector_id = ?, file_path = ?, file_company_name = ?, file_id = ?,
		health_code = ?, health_message = ?, health_resolution = '', health_qb_code = '', health_since = ?, needs_user = FALSE,
		linked_at = ?, updated_at = ? WHERE id = ?`,
		qbconnect.StatusLinked, nullString(connectorID), file.Path, file.CompanyName, file.FileID,
		qbconnect.HealthOK, "Connected.", micros(now), micros(now), micros(now), connID)
	if err != nil {
		return fmt.Errorf("link connection %s: %w", connID, err)
	}
	if err := notifyConnectionsChanged(ctx, tx, connectorID); err != nil {
		return err
	}
	return tx.notify(ctx, connID)
}

func (s *ConnectionStore) createConnector(ctx context.Context, tx *tx, now time.Time) (*qbconnect.Connector, string, error) {
	id, err := s.db.newID("ctr")
	if err != nil {
		return nil, "", err
	}
	cred, err := s.db.newSecret(connectorCredentialPrefix)
	if err != nil {
		return nil, "", err
	}
	if _, err := tx.exec(ctx, "INSERT INTO connectors (id, credential_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
		id, hashSecret(cred), micros(now), micros(now)); err != nil {
		return nil, "", fmt.Errorf("create connector: %w", err)
	}
	return &qbconnect.Connector{ID: id, CreatedAt: now, LastSeenAt: &now}, cred, nil
}

const connectorColumns = "id, version, signer, thumbprint, hostname, created_at, last_seen_at, revoked_at"

func scanConnector(row interface{ Scan(...any) error }) (*qbconnect.Connector, error) {
	c := &qbconnect.Connector{}
	var created int64
	var seen, revoked sql.NullInt64
	if err := row.Scan(&c.ID, &c.Version, &c.Signer, &c.Thumbprint, &c.Hostname, &created, &seen, &revoked); err != nil {
		return nil, err
	}
	c.CreatedAt, c.LastSeenAt, c.RevokedAt = fromMicros(created), timePtr(seen), timePtr(revoked)
	return c, nil
}

func findConnector(ctx context.Context, tx *tx, id string) (*qbconnect.Connector, error) {
	c, err := scanConnector(tx.queryRow(ctx, "SELECT "+connectorColumns+" FROM connectors WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown connector %q", id)
	}
	return c, err
}

// AuthenticateConnector returns the connector for a credential;
// EUnauthorized when unknown or revoked. It records the connector as seen at
// most every 30 seconds.
func (s *ConnectionStore) AuthenticateConnector(ctx context.Context, credential string) (*qbconnect.Connector, error) {
	if !strings.HasPrefix(credential, connectorCredentialPrefix) {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown connector credential")
	}
	c, err := scanConnector(s.db.queryRow(ctx, "SELECT "+connectorColumns+" FROM connectors WHERE credential_hash = ?", hashSecret(credential)))
	if err == sql.ErrNoRows {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown connector credential")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate connector: %w", err)
	}
	if c.RevokedAt != nil {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "connector %s was revoked", c.ID)
	}
	now := s.db.now()
	if c.LastSeenAt == nil || now.Sub(*c.LastSeenAt) >= lastSeenGranularity {
		err := s.db.inTx(ctx, func(tx *tx) error {
			_, err := tx.exec(ctx, "UPDATE connectors SET last_seen_at = ? WHERE id = ?", micros(now), c.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("authenticate connector: %w", err)
		}
		c.LastSeenAt = &now
	}
	return c, nil
}

// FindConnector returns a connector by ID; ENotFound when unknown.
func (s *ConnectionStore) FindConnector(ctx context.Context, id string) (*qbconnect.Connector, error) {
	c, err := scanConnector(s.db.queryRow(ctx, "SELECT "+connectorColumns+" FROM connectors WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "connector", id)
	}
	return c, nil
}

// UpdateConnector records what a connector reports about itself (version,
// signer, thumbprint, hostname) and marks it seen. ENotFound when unknown.
func (s *ConnectionStore) UpdateConnector(ctx context.Context, c *qbconnect.Connector) error {
	now := s.db.now()
	err := s.db.inTx(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, "UPDATE connectors SET version = ?, signer = ?, thumbprint = ?, hostname = ?, last_seen_at = ? WHERE id = ?",
			c.Version, c.Signer, c.Thumbprint, c.Hostname, micros(now), c.ID)
		if err != nil {
			return fmt.Errorf("update connector: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "connector %q not found", c.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.LastSeenAt = &now
	return nil
}

// RevokeConnector revokes a connector's credential and marks its linked
// connections Deauthorized, with a health that asks for a new link. Their
// queued work waits. ENotFound unless the connector serves one of the
// organisation's connections.
func (s *ConnectionStore) RevokeConnector(ctx context.Context, orgID, connectorID string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM connections WHERE org_id = ? AND connector_id = ?", orgID, connectorID).Scan(&n); err != nil {
			return fmt.Errorf("revoke connector: %w", err)
		}
		if n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "connector %q not found", connectorID)
		}
		var ids []string
		if s.changed != nil {
			rows, err := tx.query(ctx, "SELECT id FROM connections WHERE connector_id = ? AND status = ? ORDER BY id", connectorID, qbconnect.StatusLinked)
			if err != nil {
				return fmt.Errorf("revoke connector: %w", err)
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return fmt.Errorf("revoke connector: %w", err)
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("revoke connector: %w", err)
			}
		}
		before, err := s.snapshot(ctx, tx, ids...)
		if err != nil {
			return err
		}
		now := micros(s.db.now())
		if _, err := tx.exec(ctx, "UPDATE connectors SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", now, connectorID); err != nil {
			return fmt.Errorf("revoke connector: %w", err)
		}
		_, err = tx.exec(ctx, `UPDATE connections SET status = ?, health_code = ?, health_message = ?, health_resolution = ?,
			health_qb_code = '', health_since = ?, needs_user = TRUE, updated_at = ? WHERE connector_id = ? AND status = ?`,
			qbconnect.StatusDeauthorized, qbconnect.HealthRevoked, "This PC's connector is no longer authorised.",
			"Create a new link code and enter it in the connector.", now, now, connectorID, qbconnect.StatusLinked)
		if err != nil {
			return fmt.Errorf("revoke connector: %w", err)
		}
		if err := s.afterChange(ctx, tx, before); err != nil {
			return err
		}
		// Every process forgets the credential it may have cached.
		if err := tx.notify(ctx, credentialKey(connectorID)); err != nil {
			return err
		}
		return notifyConnectionsChanged(ctx, tx, connectorID)
	})
}

// SetWebConnectorPassword sets a new password for a Web Connector
// connection and returns its user name (the connection ID) and the
// password, shown once. EConflict for a connector connection.
func (s *ConnectionStore) SetWebConnectorPassword(ctx context.Context, orgID, connectionID string) (string, string, error) {
	c, err := s.FindConnection(ctx, orgID, connectionID)
	if err != nil {
		return "", "", err
	}
	if c.Kind != qbconnect.KindWebConnector {
		return "", "", qbconnect.Errorf(qbconnect.EConflict, "connection %s is not a Web Connector connection", c.ID)
	}
	password, err := s.db.randomString(20)
	if err != nil {
		return "", "", err
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, "UPDATE connections SET wc_password_hash = ?, updated_at = ? WHERE id = ?",
			hashSecret(password), micros(s.db.now()), c.ID)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("set Web Connector password: %w", err)
	}
	return c.ID, password, nil
}

// AuthenticateWebConnector returns the Web Connector connection of a user
// name and password; EUnauthorized when they do not match or the
// connection is unlinked.
func (s *ConnectionStore) AuthenticateWebConnector(ctx context.Context, username, password string) (*qbconnect.Connection, error) {
	var hash []byte
	err := s.db.queryRow(ctx, "SELECT wc_password_hash FROM connections WHERE id = ? AND kind = ? AND status <> ?",
		username, qbconnect.KindWebConnector, qbconnect.StatusUnlinked).Scan(&hash)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("authenticate Web Connector: %w", err)
	}
	if err == sql.ErrNoRows || hash == nil || subtle.ConstantTimeCompare(hash, hashSecret(password)) != 1 {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown Web Connector user or wrong password")
	}
	return s.LookupConnection(ctx, username)
}

// LinkWebConnector marks a Web Connector connection Linked to the company
// file it reported at its first update, with health h: the Web
// Connector's state at the link, not the health the connection had before
// (never_connected). The company file and health are written, and the
// change's hook run (OnChange), in one transaction. An empty file.FileID
// gets a new private ID. ENotFound for an unknown ID, EConflict for a
// connector connection or one unlinked or deauthorised, EInvalid for a
// health without a code.
func (s *ConnectionStore) LinkWebConnector(ctx context.Context, connectionID string, file qbconnect.FileIdentity, h qbconnect.Health) (*qbconnect.Connection, error) {
	if h.Code == "" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "health code is required")
	}
	var linked *qbconnect.Connection
	err := s.db.inTx(ctx, func(tx *tx) error {
		var kind qbconnect.ConnectionKind
		var status qbconnect.ConnectionStatus
		err := tx.queryRow(ctx, "SELECT kind, status FROM connections WHERE id = ?"+s.db.forUpdate("FOR UPDATE"), connectionID).Scan(&kind, &status)
		if err != nil {
			return notFound(err, "connection", connectionID)
		}
		if kind != qbconnect.KindWebConnector || status == qbconnect.StatusUnlinked || status == qbconnect.StatusDeauthorized {
			return qbconnect.Errorf(qbconnect.EConflict, "connection %s is not an active Web Connector connection", connectionID)
		}
		before, err := s.snapshot(ctx, tx, connectionID)
		if err != nil {
			return err
		}
		if file.FileID == "" {
			if file.FileID, err = s.db.newID("fid"); err != nil {
				return err
			}
		}
		now := s.db.now()
		if _, err = tx.exec(ctx, `UPDATE connections SET status = ?, file_path = ?, file_company_name = ?, file_id = ?,
			linked_at = COALESCE(linked_at, ?), updated_at = ? WHERE id = ?`,
			qbconnect.StatusLinked, file.Path, file.CompanyName, file.FileID, micros(now), micros(now), connectionID); err != nil {
			return fmt.Errorf("link Web Connector connection %s: %w", connectionID, err)
		}
		if err := setHealth(ctx, tx, connectionID, h); err != nil {
			return err
		}
		if err := s.afterChange(ctx, tx, before); err != nil {
			return err
		}
		linked, err = scanConnection(tx.queryRow(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ?", connectionID))
		return err
	})
	if err != nil {
		return nil, err
	}
	return linked, nil
}

// CountConnectionsByHealth returns how many connections of every
// organisation, unlinked ones excepted, have each health code, for the
// connections-by-health metric. Codes no connection has are absent (zero).
// It reads the database, so every process that shares it reports the same.
func (s *ConnectionStore) CountConnectionsByHealth(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.query(ctx, "SELECT health_code, COUNT(*) FROM connections WHERE status <> 'Unlinked' GROUP BY health_code")
	if err != nil {
		return nil, fmt.Errorf("count connections by health: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, fmt.Errorf("count connections by health: %w", err)
		}
		counts[code] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count connections by health: %w", err)
	}
	return counts, nil
}
