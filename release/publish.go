// Package release runs connector releases on the platform: publishing a
// release (its files, checksums and signer, verified), staged rollout and
// pause, the offer each connector gets, the reports of connectors that
// updated (or refused, or rolled back), the watch over signing certificates
// that warns before one expires, and the rotation campaign that a release
// signed with a new certificate starts: which connections are affected, the
// notice to each client, each connection's way to Approved and Switched, webhooks
// and reminders.
//
// It is a platform adapter: it uses the store, notify (mail) and signing,
// and is wired by cmd/qbconnect and internal/platform.
package release

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"debug/pe"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/store"
)

// Mailer queues email; *notify.Outbox implements it.
type Mailer interface {
	Queue(ctx context.Context, m *qbconnect.Mail) (*qbconnect.Mail, error)
}

// Events receives the platform's events (webhooks); the same
// implementation as api.Events.
type Events interface {
	Emit(ctx context.Context, ev qbconnect.Event) error
}

// EventCampaignConnection is the webhook event sent when a connection's
// rotation campaign state changes; its data is {campaignId,
// previousState, connection}.
const EventCampaignConnection = qbconnect.EventRotationConnectionUpdated

// Config holds a Service's dependencies. Store and Orgs are required.
type Config struct {
	Store *store.ReleaseStore
	Orgs  qbconnect.OrgService
	// Mail queues the notices, reminders and warnings; nil means no SMTP
	// server: each message is recorded once and logged in full
	// (notify.LogOutbox).
	Mail Mailer
	// Events sends webhooks about campaign connections; nil sends none.
	Events Events
	// Templates renders email; nil means notify.LoadTemplates.
	Templates *notify.Templates
	// Verifier checks the signatures of published files; nil trusts the
	// system roots. Publishing refuses a file whose signature is not Valid.
	Verifier *signing.Verifier
	// Operators receive certificate expiry warnings.
	Operators []string
	// Thresholds are the days before expiry at which to warn; nil means
	// 90, 60, 30, 14 and 7. A warning is also given once a certificate
	// has expired.
	Thresholds []int
	// NoticePeriod is how far after publishing a rotation release the
	// announced rollout date lies when the publisher gives none; 0 means
	// seven days.
	NoticePeriod time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger may be nil.
	Logger *slog.Logger
}

// Service is the release logic. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger
	tpl *notify.Templates
	// logged is the outbox that logs instead of sending when no Mailer
	// was configured; nil otherwise.
	logged *notify.LogOutbox
}

// New fills cfg's defaults and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Orgs == nil {
		return nil, errors.New("release: Store and Orgs are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Verifier == nil {
		cfg.Verifier = &signing.Verifier{}
	}
	var logged *notify.LogOutbox
	if cfg.Mail == nil {
		var err error
		if logged, err = notify.NewLogOutbox(cfg.Store, cfg.Logger); err != nil {
			return nil, err
		}
		cfg.Mail = logged
	}
	if cfg.Thresholds == nil {
		cfg.Thresholds = []int{90, 60, 30, 14, 7}
	}
	for _, t := range cfg.Thresholds {
		if t <= 0 {
			return nil, fmt.Errorf("release: expiry threshold %d must be a positive number of days", t)
		}
	}
	cfg.Thresholds = slices.Clone(cfg.Thresholds)
	slices.Sort(cfg.Thresholds)
	cfg.Thresholds = slices.Compact(cfg.Thresholds)
	if cfg.NoticePeriod <= 0 {
		cfg.NoticePeriod = 7 * 24 * time.Hour
	}
	tpl := cfg.Templates
	if tpl == nil {
		var err error
		if tpl, err = notify.LoadTemplates(); err != nil {
			return nil, err
		}
	}
	return &Service{cfg: cfg, log: cfg.Logger, tpl: tpl, logged: logged}, nil
}

// PublishInput describes a release to publish.
type PublishInput struct {
	Version string
	Channel string // "" means "stable"
	Notes   string
	// Files are the release's files. A detached signature FILE.p7s of a
	// file that is not a Windows PE or MSI is found next to it when it is
	// not listed.
	Files []string
	// Rollout is the initial rollout; the zero value is Active at 0 %:
	// offered to nobody until `release rollout`.
	Rollout qbconnect.Rollout
	// RolloutAt is the date a rotation campaign announces; zero means
	// now + NoticePeriod.
	RolloutAt time.Time
	// ReminderAfter, when positive, sends a rotation reminder for
	// connections still waiting that long after their connector updated.
	ReminderAfter time.Duration
}

// DefaultChannel is the channel of a release published without one.
const DefaultChannel = "stable"

var (
	versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$`)
	channelRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
)

// Publish checks every file (readable, signed with a Valid signature, all
// by the same certificate), records the release with its checksums and
// signer, and, when the signer differs from the previous release's in the
// channel, starts a rotation campaign and queues its notices. Bad input
// changes nothing.
func (s *Service) Publish(ctx context.Context, in PublishInput) (*qbconnect.Release, *qbconnect.Campaign, error) {
	if !versionRE.MatchString(in.Version) {
		return nil, nil, qbconnect.Errorf(qbconnect.EInvalid, "version %q: want a semantic version such as 1.4.0", in.Version)
	}
	in.Version = strings.TrimPrefix(in.Version, "v")
	if in.Channel == "" {
		in.Channel = DefaultChannel
	}
	if !channelRE.MatchString(in.Channel) {
		return nil, nil, qbconnect.Errorf(qbconnect.EInvalid, "channel %q: lowercase letters, digits and dashes", in.Channel)
	}
	if err := validateRollout(&in.Rollout); err != nil {
		return nil, nil, err
	}
	if len(in.Files) == 0 {
		return nil, nil, qbconnect.Errorf(qbconnect.EInvalid, "a release needs at least one file")
	}
	arts, signer, err := s.inspect(ctx, in.Files)
	if err != nil {
		return nil, nil, err
	}
	prev, err := s.latest(ctx, in.Channel)
	if err != nil {
		return nil, nil, err
	}
	if prev != nil && compareVersions(in.Version, prev.Version) <= 0 {
		return nil, nil, qbconnect.Errorf(qbconnect.EConflict, "version %s is not newer than %s, the latest %s release", in.Version, prev.Version, in.Channel)
	}
	rel := &qbconnect.Release{Version: in.Version, Channel: in.Channel, Notes: in.Notes, Signer: signer, Artifacts: arts, Rollout: in.Rollout}
	rel.Rollout.UpdatedAt = s.cfg.Now().UTC()
	if err := s.cfg.Store.CreateRelease(ctx, rel); err != nil {
		return nil, nil, err
	}
	s.log.Info("release published", "version", rel.Version, "channel", rel.Channel, "signer", signer.Subject,
		"thumbprint", signer.Thumbprint, "notAfter", signer.NotAfter, "artifacts", len(arts))
	var camp *qbconnect.Campaign
	rotates, err := s.rotates(ctx, prev, signer)
	if err != nil {
		return rel, nil, fmt.Errorf("release %s was published, but whether it needs a rotation campaign is unknown: %w", rel.Version, err)
	}
	if rotates {
		camp, err = s.startCampaign(ctx, rel, in)
		if err != nil {
			return rel, nil, fmt.Errorf("release %s was published, but its rotation campaign failed: %w", rel.Version, err)
		}
		rel.CampaignID = camp.ID
	}
	return rel, camp, nil
}

// rotates reports whether a release signed by signer starts a rotation
// campaign: its signer differs from the previous release's, or, with no
// previous release (connectors installed before the platform published
// any), from the certificate a linked connector reports running with. An
// unsigned build (developers') starts none.
func (s *Service) rotates(ctx context.Context, prev *qbconnect.Release, signer qbconnect.Certificate) (bool, error) {
	if prev != nil {
		return prev.Signer.Thumbprint != signer.Thumbprint, nil
	}
	runs, err := s.cfg.Store.ConnectorRuns(ctx, "")
	if err != nil {
		return false, err
	}
	for _, r := range runs {
		if r.Thumbprint != "" && r.Thumbprint != signer.Thumbprint {
			return true, nil
		}
	}
	return false, nil
}

// latest returns the newest release of a channel, or nil.
func (s *Service) latest(ctx context.Context, channel string) (*qbconnect.Release, error) {
	list, err := s.cfg.Store.ListReleases(ctx, channel)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	best := list[0]
	for _, r := range list[1:] {
		if compareVersions(r.Version, best.Version) > 0 {
			best = r
		}
	}
	return best, nil
}

// inspect reads, hashes, classifies and verifies the files.
func (s *Service) inspect(ctx context.Context, files []string) ([]qbconnect.Artifact, qbconnect.Certificate, error) {
	var signer qbconnect.Certificate
	var arts []qbconnect.Artifact
	listed := map[string]bool{}
	for _, f := range files {
		listed[filepath.Clean(f)] = true
	}
	seen := map[string]bool{}
	add := func(path string) (*qbconnect.Artifact, error) {
		name := filepath.Base(path)
		if !nameRE.MatchString(name) {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "file name %q: letters, digits, dot, dash, underscore and plus only", name)
		}
		if seen[name] {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "two files are named %q", name)
		}
		seen[name] = true
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "%v", err)
		}
		sum := sha256.Sum256(data)
		arts = append(arts, qbconnect.Artifact{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Data: data})
		return &arts[len(arts)-1], nil
	}
	var detached []string
	for _, path := range files {
		path = filepath.Clean(path)
		if strings.HasSuffix(path, signing.DetachedSuffix) {
			if !listed[strings.TrimSuffix(path, signing.DetachedSuffix)] {
				return nil, signer, qbconnect.Errorf(qbconnect.EInvalid, "%s is a signature of a file that is not in the release", path)
			}
			continue // added with its file
		}
		a, err := add(path)
		if err != nil {
			return nil, signer, err
		}
		format, err := signing.DetectFormat(path)
		if err != nil {
			return nil, signer, qbconnect.Errorf(qbconnect.EInvalid, "%v", err)
		}
		a.Kind, a.Platform = classify(path, format)
		sig, err := s.cfg.Verifier.VerifyFile(ctx, path)
		if err != nil {
			return nil, signer, qbconnect.Errorf(qbconnect.EInvalid, "verifying %s: %v", path, err)
		}
		if !sig.Valid() {
			return nil, signer, qbconnect.Errorf(qbconnect.EInvalid, "%s cannot be published: %v", path, sig.Err())
		}
		a.SignatureKind = string(sig.Kind)
		cert := certificateOf(sig.Identity)
		switch {
		case signer.Thumbprint == "":
			signer = cert
		case signer.Thumbprint != cert.Thumbprint:
			return nil, signer, qbconnect.Errorf(qbconnect.EInvalid, "%s is signed by %s (%s), other files by %s (%s): a release has one signer",
				path, cert.Subject, cert.Thumbprint, signer.Subject, signer.Thumbprint)
		}
		if sig.Kind == signing.KindPKCS7Detached {
			detached = append(detached, path+signing.DetachedSuffix)
			a.Signature = filepath.Base(path) + signing.DetachedSuffix
		}
	}
	for _, p := range detached {
		a, err := add(p)
		if err != nil {
			return nil, signer, err
		}
		a.Kind = qbconnect.ArtifactSignature
	}
	return arts, signer, nil
}

func certificateOf(id signing.Identity) qbconnect.Certificate {
	return qbconnect.Certificate{
		Thumbprint: strings.ToLower(id.Thumbprint), Subject: id.Subject, CommonName: id.CommonName,
		Issuer: id.Issuer, Serial: id.Serial, NotBefore: id.NotBefore.UTC(), NotAfter: id.NotAfter.UTC(),
	}
}

// classify names a file's kind and platform from its format and headers.
func classify(path string, format signing.Format) (kind, platform string) {
	switch format {
	case signing.FormatMSI:
		return qbconnect.ArtifactInstaller, "windows/" + peArch(path)
	case signing.FormatPE:
		return qbconnect.ArtifactExecutable, "windows/" + peArch(path)
	}
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386"}[f.Machine]
		if arch != "" && (f.Type == elf.ET_EXEC || f.Type == elf.ET_DYN) {
			return qbconnect.ArtifactExecutable, "linux/" + arch
		}
	}
	return qbconnect.ArtifactOther, ""
}

func peArch(path string) string {
	f, err := pe.Open(path)
	if err != nil {
		return "amd64" // MSI packages: the connector ships for amd64 only
	}
	defer f.Close()
	switch f.Machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	case pe.IMAGE_FILE_MACHINE_I386:
		return "386"
	}
	return "unknown"
}

// compareVersions compares semantic versions (a pre-release sorts before
// its release); invalid versions sort first.
func compareVersions(a, b string) int {
	pa, pb := versionRE.FindStringSubmatch(a), versionRE.FindStringSubmatch(b)
	if pa == nil || pb == nil {
		switch {
		case pa == nil && pb == nil:
			return strings.Compare(a, b)
		case pa == nil:
			return -1
		default:
			return 1
		}
	}
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa[4] == pb[4]:
		return 0
	case pa[4] == "":
		return 1
	case pb[4] == "":
		return -1
	}
	return strings.Compare(pa[4], pb[4])
}

// CompareVersions compares two semantic versions: -1, 0 or 1.
func CompareVersions(a, b string) int { return compareVersions(a, b) }
