package release

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
)

// daysLeft is the number of whole days from now until notAfter, rounded
// down (negative once expired).
func daysLeft(notAfter, now time.Time) int {
	return int(math.Floor(notAfter.Sub(now).Hours() / 24))
}

// Certificates lists every signing certificate in use with the days left
// and the warnings given.
func (s *Service) Certificates(ctx context.Context) ([]*qbconnect.CertificateStatus, error) {
	list, err := s.cfg.Store.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	for _, c := range list {
		if !c.NotAfter.IsZero() {
			d := daysLeft(c.NotAfter, now)
			c.DaysLeft = &d
		}
	}
	return list, nil
}

// Warning is one expiry warning given by CheckExpiry.
type Warning struct {
	Certificate qbconnect.CertificateStatus
	Threshold   int // days; 0 for "expired"
	DaysLeft    int
}

// CheckExpiry warns about every certificate that crossed a threshold: once
// per threshold and certificate (persisted, so a restart does not repeat
// it), by log, by email to the operators, and it returns the warnings.
// When several thresholds are crossed at once (a certificate first seen
// with 20 days left) only the nearest is warned about.
func (s *Service) CheckExpiry(ctx context.Context) ([]Warning, error) {
	list, err := s.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	var out []Warning
	for _, c := range list {
		if c.DaysLeft == nil {
			continue
		}
		d := *c.DaysLeft
		// The nearest threshold crossed; 0 once expired.
		threshold := -1
		if d < 0 {
			threshold = 0
		} else {
			for _, t := range s.cfg.Thresholds { // ascending
				if d <= t {
					threshold = t
					break
				}
			}
		}
		if threshold < 0 || slices.ContainsFunc(c.Warnings, func(w int) bool { return w <= threshold }) {
			continue
		}
		first, err := s.cfg.Store.MarkWarning(ctx, c.Thumbprint, threshold)
		if err != nil {
			return out, err
		}
		if !first {
			continue
		}
		c.Warnings = append(c.Warnings, threshold)
		w := Warning{Certificate: *c, Threshold: threshold, DaysLeft: d}
		out = append(out, w)
		s.log.Warn("signing certificate expires soon", "subject", c.Subject, "thumbprint", c.Thumbprint, "notAfter", c.NotAfter,
			"daysLeft", d, "threshold", threshold, "releases", c.Releases, "connectors", c.Connectors)
		if len(s.cfg.Operators) > 0 {
			m := &qbconnect.Mail{Kind: "expiry_warning", To: s.cfg.Operators,
				DedupeKey: "expiry:" + c.Thumbprint + ":" + thresholdKey(threshold)}
			data := notify.ExpiryWarning{Certificate: c.Certificate, DaysLeft: d, Threshold: threshold, Releases: c.Releases, Connectors: c.Connectors}
			if err := s.send(ctx, m, notify.TemplateExpiryWarning, data); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func thresholdKey(days int) string {
	if days == 0 {
		return "expired"
	}
	return strconv.Itoa(days)
}

// Loop runs Track and CheckExpiry every interval until ctx ends (and,
// without a Mailer, logs the messages other processes queued); after
// each pass it calls onPass (when not nil) with the pass's error. Tests
// call Track and CheckExpiry directly.
func (s *Service) Loop(ctx context.Context, interval time.Duration, onPass func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_, terr := s.Track(ctx)
		_, eerr := s.CheckExpiry(ctx)
		err := terr
		if err == nil {
			err = eerr
		}
		if s.logged != nil {
			// Without SMTP, messages other processes queued are logged.
			if _, lerr := s.logged.Resume(ctx); lerr != nil && err == nil {
				err = lerr
			}
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("release: background pass failed", "err", err)
		}
		if onPass != nil {
			onPass(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var (
	daysLeftDesc = prometheus.NewDesc("qbconnect_signing_certificate_days_left",
		"Days until a code-signing certificate in use expires (negative once expired).", []string{"thumbprint", "subject"}, nil)
	expiryDesc = prometheus.NewDesc("qbconnect_signing_certificate_expiry_timestamp_seconds",
		"When a code-signing certificate in use expires, as a Unix time in seconds (alert on it minus time()).", []string{"thumbprint", "subject"}, nil)
	connectorsDesc = prometheus.NewDesc("qbconnect_signing_certificate_connectors",
		"Connectors running with a code-signing certificate.", []string{"thumbprint", "subject"}, nil)
)

// Collector returns a Prometheus collector of the certificates' days left
// and connector counts, read at each scrape.
func (s *Service) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Service }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- daysLeftDesc
	ch <- expiryDesc
	ch <- connectorsDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.s.Certificates(ctx)
	if err != nil {
		c.s.log.Warn("metrics: listing signing certificates", "err", err)
		return
	}
	for _, cert := range list {
		if cert.DaysLeft != nil {
			ch <- prometheus.MustNewConstMetric(daysLeftDesc, prometheus.GaugeValue, float64(*cert.DaysLeft), cert.Thumbprint, cert.Subject)
		}
		if !cert.NotAfter.IsZero() {
			ch <- prometheus.MustNewConstMetric(expiryDesc, prometheus.GaugeValue, float64(cert.NotAfter.Unix()), cert.Thumbprint, cert.Subject)
		}
		ch <- prometheus.MustNewConstMetric(connectorsDesc, prometheus.GaugeValue, float64(cert.Connectors), cert.Thumbprint, cert.Subject)
	}
}
