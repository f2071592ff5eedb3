package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// ReleaseStore keeps connector releases and their files, the signing
// certificates the platform knows, expiry warnings already given, connector
// update reports, rotation campaigns, organisations' notice contacts and the
// mail outbox. Package release holds the logic; this is storage only.
type ReleaseStore struct{ db *DB }

// NewReleaseStore returns the release store of db.
func NewReleaseStore(db *DB) *ReleaseStore { return &ReleaseStore{db: db} }

// Now returns the store's clock reading, at the precision it keeps.
func (s *ReleaseStore) Now() time.Time { return s.db.now() }

// NewID returns a new random ID with the prefix ("rel", "cmp", ...).
func (s *ReleaseStore) NewID(prefix string) (string, error) { return s.db.newID(prefix) }

// CreateRelease stores a release, its artifacts (with their data) and its
// signer certificate in one transaction, and sets r.ID, PublishedAt and
// UpdatedAt. EConflict when the version exists.
func (s *ReleaseStore) CreateRelease(ctx context.Context, r *qbconnect.Release) error {
	id, err := s.db.newID("rel")
	if err != nil {
		return err
	}
	now := s.db.now()
	rollout, err := json.Marshal(r.Rollout)
	if err != nil {
		return fmt.Errorf("create release: %w", err)
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO releases (id, version, channel, notes, thumbprint, rollout, published_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, r.Version, r.Channel, r.Notes, r.Signer.Thumbprint, string(rollout), micros(now), micros(now))
		if err != nil {
			if isUniqueViolation(err) {
				return qbconnect.Errorf(qbconnect.EConflict, "release %s already exists; publish a new version instead", r.Version)
			}
			return err
		}
		for _, a := range r.Artifacts {
			_, err := tx.exec(ctx, `INSERT INTO release_artifacts (release_id, name, kind, platform, size, sha256, signature_kind, signature, data)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, a.Name, a.Kind, a.Platform, a.Size, a.SHA256, a.SignatureKind, a.Signature, a.Data)
			if err != nil {
				if isUniqueViolation(err) {
					return qbconnect.Errorf(qbconnect.EInvalid, "two artifacts are named %q", a.Name)
				}
				return err
			}
		}
		return upsertCertificate(ctx, tx, r.Signer, now)
	})
	if err != nil {
		return fmt.Errorf("create release %s: %w", r.Version, err)
	}
	r.ID, r.PublishedAt, r.UpdatedAt = id, now, now
	return nil
}

func upsertCertificate(ctx context.Context, tx *tx, c qbconnect.Certificate, now time.Time) error {
	if c.Thumbprint == "" {
		return nil
	}
	var notBefore, notAfter any
	if !c.NotBefore.IsZero() {
		notBefore = micros(c.NotBefore)
	}
	if !c.NotAfter.IsZero() {
		notAfter = micros(c.NotAfter)
	}
	res, err := tx.exec(ctx, `UPDATE signing_certificates SET subject = ?, common_name = ?, issuer = ?, serial = ?,
		not_before = COALESCE(?, not_before), not_after = COALESCE(?, not_after) WHERE thumbprint = ?`,
		c.Subject, c.CommonName, c.Issuer, c.Serial, notBefore, notAfter, c.Thumbprint)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", c.Thumbprint, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.exec(ctx, `INSERT INTO signing_certificates (thumbprint, subject, common_name, issuer, serial, not_before, not_after, first_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Thumbprint, c.Subject, c.CommonName, c.Issuer, c.Serial, notBefore, notAfter, micros(now))
	if err != nil {
		return fmt.Errorf("certificate %s: %w", c.Thumbprint, err)
	}
	return nil
}

// AddCertificate records a certificate (or completes what is known of it).
func (s *ReleaseStore) AddCertificate(ctx context.Context, c qbconnect.Certificate) error {
	return s.db.inTx(ctx, func(tx *tx) error { return upsertCertificate(ctx, tx, c, s.db.now()) })
}

const releaseColumns = `r.id, r.version, r.channel, r.notes, r.rollout, r.campaign_id, r.published_at, r.updated_at,
	r.revoked_at, r.revoke_reason, c.thumbprint, c.subject, c.common_name, c.issuer, c.serial, c.not_before, c.not_after`

const releaseFrom = ` FROM releases r JOIN signing_certificates c ON c.thumbprint = r.thumbprint`

func scanRelease(row interface{ Scan(...any) error }) (*qbconnect.Release, error) {
	r := &qbconnect.Release{}
	var rollout string
	var published, updated int64
	var notBefore, notAfter, revokedAt sql.NullInt64
	var revokeReason string
	if err := row.Scan(&r.ID, &r.Version, &r.Channel, &r.Notes, &rollout, &r.CampaignID, &published, &updated,
		&revokedAt, &revokeReason, &r.Signer.Thumbprint, &r.Signer.Subject, &r.Signer.CommonName, &r.Signer.Issuer, &r.Signer.Serial, &notBefore, &notAfter); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rollout), &r.Rollout); err != nil {
		return nil, fmt.Errorf("release %s: rollout: %w", r.Version, err)
	}
	r.PublishedAt, r.UpdatedAt = fromMicros(published), fromMicros(updated)
	if revokedAt.Valid {
		r.Revoked = &qbconnect.Revocation{Reason: revokeReason, At: fromMicros(revokedAt.Int64)}
	}
	if notBefore.Valid {
		r.Signer.NotBefore = fromMicros(notBefore.Int64)
	}
	if notAfter.Valid {
		r.Signer.NotAfter = fromMicros(notAfter.Int64)
	}
	return r, nil
}

// FindRelease returns a release by version (or ID), with its artifacts'
// metadata but not their data. ENotFound for an unknown one.
func (s *ReleaseStore) FindRelease(ctx context.Context, version string) (*qbconnect.Release, error) {
	r, err := scanRelease(s.db.queryRow(ctx, "SELECT "+releaseColumns+releaseFrom+" WHERE r.version = ? OR r.id = ?", version, version))
	if err != nil {
		return nil, notFound(err, "release", version)
	}
	if err := s.loadArtifacts(ctx, []*qbconnect.Release{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// ListReleases returns the releases of a channel ("" for all), newest
// first, with their artifacts' metadata.
func (s *ReleaseStore) ListReleases(ctx context.Context, channel string) ([]*qbconnect.Release, error) {
	rows, err := s.db.query(ctx, "SELECT "+releaseColumns+releaseFrom+" WHERE ? = '' OR r.channel = ? ORDER BY r.seq DESC", channel, channel)
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.Release{}
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, fmt.Errorf("list releases: %w", err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	return list, s.loadArtifacts(ctx, list)
}

func (s *ReleaseStore) loadArtifacts(ctx context.Context, rs []*qbconnect.Release) error {
	byID := map[string]*qbconnect.Release{}
	for _, r := range rs {
		byID[r.ID] = r
		r.Artifacts = []qbconnect.Artifact{}
	}
	if len(rs) == 0 {
		return nil
	}
	rows, err := s.db.query(ctx, `SELECT release_id, name, kind, platform, size, sha256, signature_kind, signature
		FROM release_artifacts ORDER BY release_id, name`)
	if err != nil {
		return fmt.Errorf("list artifacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var relID string
		var a qbconnect.Artifact
		if err := rows.Scan(&relID, &a.Name, &a.Kind, &a.Platform, &a.Size, &a.SHA256, &a.SignatureKind, &a.Signature); err != nil {
			return fmt.Errorf("list artifacts: %w", err)
		}
		if r := byID[relID]; r != nil {
			r.Artifacts = append(r.Artifacts, a)
		}
	}
	return rows.Err()
}

// Artifact returns one artifact of a release with its data. ENotFound for
// an unknown release or name.
func (s *ReleaseStore) Artifact(ctx context.Context, version, name string) (*qbconnect.Artifact, error) {
	a := &qbconnect.Artifact{}
	err := s.db.queryRow(ctx, `SELECT a.name, a.kind, a.platform, a.size, a.sha256, a.signature_kind, a.signature, a.data
		FROM release_artifacts a JOIN releases r ON r.id = a.release_id WHERE r.version = ? AND a.name = ?`, version, name).
		Scan(&a.Name, &a.Kind, &a.Platform, &a.Size, &a.SHA256, &a.SignatureKind, &a.Signature, &a.Data)
	if err != nil {
		return nil, notFound(err, "artifact", version+"/"+name)
	}
	return a, nil
}

// SetRollout replaces a release's rollout and returns the release.
func (s *ReleaseStore) SetRollout(ctx context.Context, version string, ro qbconnect.Rollout) (*qbconnect.Release, error) {
	now := s.db.now()
	ro.UpdatedAt = now
	data, err := json.Marshal(ro)
	if err != nil {
		return nil, err
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, "UPDATE releases SET rollout = ?, updated_at = ? WHERE version = ?", string(data), micros(now), version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "release %q not found", version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.FindRelease(ctx, version)
}

// RevokeRelease marks a release revoked, with the operator's reason, and
// returns it. ENotFound for an unknown release; EConflict, changing
// nothing, for one revoked before.
func (s *ReleaseStore) RevokeRelease(ctx context.Context, version, reason string) (*qbconnect.Release, error) {
	now := s.db.now()
	err := s.db.inTx(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, "UPDATE releases SET revoked_at = ?, revoke_reason = ?, updated_at = ? WHERE version = ? AND revoked_at IS NULL",
			micros(now), reason, micros(now), version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var at sql.NullInt64
		var why string
		if err := tx.queryRow(ctx, "SELECT revoked_at, revoke_reason FROM releases WHERE version = ?", version).Scan(&at, &why); err != nil {
			return notFound(err, "release", version)
		}
		return qbconnect.Errorf(qbconnect.EConflict, "release %s was revoked on %s (%s); nothing changed",
			version, fromMicros(at.Int64).UTC().Format(time.DateOnly), why)
	})
	if err != nil {
		return nil, err
	}
	return s.FindRelease(ctx, version)
}

// Revocation returns the revocation of the release with that version.
// ENotFound when no release has the version, or it was not revoked.
func (s *ReleaseStore) Revocation(ctx context.Context, version string) (*qbconnect.Revocation, error) {
	var at int64
	rv := &qbconnect.Revocation{}
	err := s.db.queryRow(ctx, "SELECT revoked_at, revoke_reason FROM releases WHERE version = ? AND revoked_at IS NOT NULL", version).Scan(&at, &rv.Reason)
	if err != nil {
		return nil, notFound(err, "revoked release", version)
	}
	rv.At = fromMicros(at)
	return rv, nil
}

// MarkWarning records that the warning for threshold days was given for a
// certificate. It reports false when it had been given before.
func (s *ReleaseStore) MarkWarning(ctx context.Context, thumbprint string, threshold int) (bool, error) {
	first := false
	err := s.db.inTx(ctx, func(tx *tx) error {
		// ON CONFLICT, not a caught unique violation: on PostgreSQL a
		// failed statement aborts the transaction, so the process that
		// lost a race would fail instead of answering false.
		res, err := tx.exec(ctx, "INSERT INTO certificate_warnings (thumbprint, threshold_days, warned_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			thumbprint, threshold, micros(s.db.now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark expiry warning: %w", err)
	}
	return first, nil
}

// Certificates lists every signing certificate in use: those of releases
// and those connectors report, with the releases signed by each, the
// number of (non-revoked) connectors running with each, and the warnings
// already given. Ordered by expiry, unknown expiry last. DaysLeft is left
// to the caller, who owns the clock.
func (s *ReleaseStore) Certificates(ctx context.Context) ([]*qbconnect.CertificateStatus, error) {
	byTP := map[string]*qbconnect.CertificateStatus{}
	var list []*qbconnect.CertificateStatus
	get := func(tp string) *qbconnect.CertificateStatus {
		c := byTP[tp]
		if c == nil {
			c = &qbconnect.CertificateStatus{Certificate: qbconnect.Certificate{Thumbprint: tp}, Releases: []string{}, Warnings: []int{}}
			byTP[tp] = c
			list = append(list, c)
		}
		return c
	}
	rows, err := s.db.query(ctx, `SELECT thumbprint, subject, common_name, issuer, serial, not_before, not_after FROM signing_certificates`)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	for rows.Next() {
		var tp string
		var nb, na sql.NullInt64
		var c qbconnect.Certificate
		if err := rows.Scan(&tp, &c.Subject, &c.CommonName, &c.Issuer, &c.Serial, &nb, &na); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list certificates: %w", err)
		}
		c.Thumbprint = tp
		if nb.Valid {
			c.NotBefore = fromMicros(nb.Int64)
		}
		if na.Valid {
			c.NotAfter = fromMicros(na.Int64)
		}
		get(tp).Certificate = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = s.scanEach(ctx, "SELECT thumbprint, version FROM releases ORDER BY seq", func(sc func(...any) error) error {
		var tp, v string
		if err := sc(&tp, &v); err != nil {
			return err
		}
		c := get(tp)
		c.Releases = append(c.Releases, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.scanEach(ctx, `SELECT thumbprint, MIN(signer), COUNT(*) FROM connectors WHERE revoked_at IS NULL AND thumbprint <> ''
		GROUP BY thumbprint`, func(sc func(...any) error) error {
		var tp, signer string
		var n int
		if err := sc(&tp, &signer, &n); err != nil {
			return err
		}
		c := get(strings.ToLower(tp))
		c.Connectors += n
		if c.Subject == "" {
			c.Subject = signer
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.scanEach(ctx, "SELECT thumbprint, threshold_days FROM certificate_warnings ORDER BY threshold_days DESC", func(sc func(...any) error) error {
		var tp string
		var d int
		if err := sc(&tp, &d); err != nil {
			return err
		}
		if c := byTP[tp]; c != nil {
			c.Warnings = append(c.Warnings, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].NotAfter, list[j].NotAfter
		if a.IsZero() != b.IsZero() {
			return b.IsZero()
		}
		if !a.Equal(b) {
			return a.Before(b)
		}
		return list[i].Thumbprint < list[j].Thumbprint
	})
	return list, nil
}

func (s *ReleaseStore) scanEach(ctx context.Context, query string, fn func(scan func(...any) error) error, args ...any) error {
	rows, err := s.db.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RecordUpdateReport stores a connector's update report.
func (s *ReleaseStore) RecordUpdateReport(ctx context.Context, r qbconnect.UpdateReport) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO update_reports (connector_id, from_version, to_version, outcome, reason, at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.ConnectorID, r.FromVersion, r.ToVersion, string(r.Outcome), r.Reason, micros(r.At))
		return err
	})
}

// UpdateReports returns a connector's update reports ("" for every
// connector), oldest first.
func (s *ReleaseStore) UpdateReports(ctx context.Context, connectorID string) ([]qbconnect.UpdateReport, error) {
	list := []qbconnect.UpdateReport{}
	err := s.scanEach(ctx, `SELECT connector_id, from_version, to_version, outcome, reason, at FROM update_reports
		WHERE ? = '' OR connector_id = ? ORDER BY seq`, func(sc func(...any) error) error {
		var r qbconnect.UpdateReport
		var at int64
		if err := sc(&r.ConnectorID, &r.FromVersion, &r.ToVersion, &r.Outcome, &r.Reason, &at); err != nil {
			return err
		}
		r.At = fromMicros(at)
		list = append(list, r)
		return nil
	}, connectorID, connectorID)
	return list, err
}

// ConnectorRun is a linked connector connection with what its connector
// runs: the input of rollouts and campaigns.
type ConnectorRun struct {
	Connection  *qbconnect.Connection
	CompanyName string
	Version     string
	Thumbprint  string // lowercase
	LastSeenAt  *time.Time
}

// ConnectorRuns returns every Linked connection of kind connector whose
// connector is not revoked, with its company's name and what its connector
// runs ("" for every connector, or one connector's).
func (s *ReleaseStore) ConnectorRuns(ctx context.Context, connectorID string) ([]*ConnectorRun, error) {
	rows, err := s.db.query(ctx, "SELECT "+connectionColumns+`, run_company_name, run_version, run_thumbprint, run_seen_at
		FROM (SELECT n.*, co.name AS run_company_name, k.version AS run_version, k.thumbprint AS run_thumbprint, k.last_seen_at AS run_seen_at
			FROM connections n JOIN connectors k ON k.id = n.connector_id JOIN companies co ON co.id = n.company_id
			WHERE n.status = ? AND n.kind = ? AND k.revoked_at IS NULL AND (? = '' OR k.id = ?)) AS t ORDER BY seq`,
		qbconnect.StatusLinked, qbconnect.KindConnector, connectorID, connectorID)
	if err != nil {
		return nil, fmt.Errorf("connector runs: %w", err)
	}
	defer rows.Close()
	var list []*ConnectorRun
	for rows.Next() {
		run := &ConnectorRun{}
		var seen sql.NullInt64
		var extra = []any{&run.CompanyName, &run.Version, &run.Thumbprint, &seen}
		c, err := scanConnection(scanWithExtra{rows, extra})
		if err != nil {
			return nil, fmt.Errorf("connector runs: %w", err)
		}
		run.Connection = c
		run.Thumbprint = strings.ToLower(run.Thumbprint)
		run.LastSeenAt = timePtr(seen)
		list = append(list, run)
	}
	return list, rows.Err()
}

// scanWithExtra lets scanConnection read a row that has more columns.
type scanWithExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanWithExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// SetContacts replaces the addresses that receive an organisation's release
// and rotation notices. ENotFound for an unknown organisation.
func (s *ReleaseStore) SetContacts(ctx context.Context, orgID string, emails []string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM orgs WHERE id = ?", orgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "organisation %q not found", orgID)
		}
		if _, err := tx.exec(ctx, "DELETE FROM org_contacts WHERE org_id = ?", orgID); err != nil {
			return err
		}
		for _, e := range emails {
			// ON CONFLICT, not a caught unique violation: on PostgreSQL a
			// failed statement aborts the transaction, so a repeated
			// address would roll back every contact.
			if _, err := tx.exec(ctx, "INSERT INTO org_contacts (org_id, email, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
				orgID, e, micros(s.db.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

// Contacts returns an organisation's notice addresses, sorted.
func (s *ReleaseStore) Contacts(ctx context.Context, orgID string) ([]string, error) {
	list := []string{}
	err := s.scanEach(ctx, "SELECT email FROM org_contacts WHERE org_id = ? ORDER BY email", func(sc func(...any) error) error {
		var e string
		if err := sc(&e); err != nil {
			return err
		}
		list = append(list, e)
		return nil
	}, orgID)
	return list, err
}
