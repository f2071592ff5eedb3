package notify

import (
	"bytes"
	"embed"
	"fmt"
	htemplate "html/template"
	"strings"
	ttemplate "text/template"
	"time"

	"github.com/qbconnect/qbconnect"
)

//go:embed mailtemplates/*.tmpl
var mailTemplates embed.FS

// Message templates. Each defines "subject", "text" and "html".
const (
	TemplateCampaignNotice   = "campaign_notice"
	TemplateCampaignReminder = "campaign_reminder"
	TemplateExpiryWarning    = "expiry_warning"
)

// NoticeCompany is one company in a campaign message, with the end user's
// situation in a reminder.
type NoticeCompany struct {
	Name string
	File string
	// Situation and Steps, in reminders, are the instructions for the
	// company's current situation.
	Situation string
	Steps     []string
}

// CampaignNotice is the data of the campaign notice and reminder.
type CampaignNotice struct {
	OrgName    string
	CampaignID string
	Version    string
	RolloutAt  time.Time
	OldSigner  string
	NewSigner  string
	// ApproveBy is the date by which the customers should approve the new
	// version: when the old certificate expires (OldExpires, zero when not
	// known), else the rollout date.
	ApproveBy  time.Time
	OldExpires time.Time
	// DaysLeft, in a reminder before expiry, is the number of days left
	// (30, 14 or 7); 0 in other messages.
	DaysLeft  int
	Companies []NoticeCompany
	// Cases are the situations of the end users and what to do in each.
	Cases []qbconnect.Instructions
}

// ExpiryWarning is the data of a certificate expiry warning.
type ExpiryWarning struct {
	qbconnect.Certificate
	DaysLeft   int
	Threshold  int
	Releases   []string
	Connectors int
}

// Templates renders the email templates; plain text with text/template and
// HTML with html/template, so that names in the HTML part are escaped.
type Templates struct {
	text map[string]*ttemplate.Template
	html map[string]*htemplate.Template
}

var templateFuncs = map[string]any{
	"date": func(t time.Time) string { return t.UTC().Format("Monday 2 January 2006") },
	"inc":  func(i int) int { return i + 1 },
	"join": strings.Join,
}

// LoadTemplates parses the built-in templates.
func LoadTemplates() (*Templates, error) {
	t := &Templates{text: map[string]*ttemplate.Template{}, html: map[string]*htemplate.Template{}}
	for _, name := range []string{TemplateCampaignNotice, TemplateCampaignReminder, TemplateExpiryWarning} {
		src, err := mailTemplates.ReadFile("mailtemplates/" + name + ".tmpl")
		if err != nil {
			return nil, err
		}
		tt, err := ttemplate.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("notify: template %s: %w", name, err)
		}
		ht, err := htemplate.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("notify: template %s: %w", name, err)
		}
		t.text[name], t.html[name] = tt, ht
	}
	return t, nil
}

// Render fills msg's Subject, Text and HTML from template name.
func (t *Templates) Render(msg *qbconnect.Mail, name string, data any) error {
	tt, ht := t.text[name], t.html[name]
	if tt == nil {
		return fmt.Errorf("notify: no template %q", name)
	}
	var subject, text, html bytes.Buffer
	if err := tt.ExecuteTemplate(&subject, "subject", data); err != nil {
		return fmt.Errorf("notify: %s subject: %w", name, err)
	}
	if err := tt.ExecuteTemplate(&text, "text", data); err != nil {
		return fmt.Errorf("notify: %s text: %w", name, err)
	}
	if err := ht.ExecuteTemplate(&html, "html", data); err != nil {
		return fmt.Errorf("notify: %s html: %w", name, err)
	}
	msg.Subject = strings.Join(strings.Fields(subject.String()), " ")
	msg.Text = strings.TrimLeft(text.String(), "\n")
	msg.HTML = html.String()
	return nil
}
