package connector

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// Problem is a failure told to the person at the computer: what happened
// and what to do, with the cause kept for the log and for support. The
// command line prints it as such (cmd/qbconnector), and the agent shows a
// Problem from the QuickBooks driver as the file's state.
type Problem struct {
	// Code is the state's code when the problem is one (qbd.Cond*, or the
	// connector's own Cond*); it may be empty.
	Code string
	// What says what happened, in plain words.
	What string
	// Do says what to do about it.
	Do string
	// Err is the cause; it may be nil.
	Err error
}

// Error returns what happened and what to do, then the cause in
// parentheses.
func (p *Problem) Error() string {
	s := p.What
	if p.Do != "" {
		s += " " + p.Do
	}
	if p.Err != nil {
		s += " (" + p.Err.Error() + ")"
	}
	return s
}

// Unwrap returns the cause.
func (p *Problem) Unwrap() error { return p.Err }

// Condition returns the problem as a file's state.
func (p *Problem) Condition() qbd.Condition {
	code := p.Code
	if code == "" {
		code = qbd.CondUnknown
	}
	return qbd.Condition{Code: code, Message: p.What, Resolution: p.Do, NeedsUser: true}
}

// ErrQuickBooksNotOnThisSystem is the Problem of a connector asked to use
// QuickBooks Desktop on an operating system where it cannot run: there is
// no request processor to ask, as on a Windows computer without QuickBooks.
func ErrQuickBooksNotOnThisSystem(goos string) *Problem {
	return &Problem{
		Code: qbd.CondQBNotInstalled,
		What: fmt.Sprintf("QuickBooks Desktop runs only on Windows, and this computer runs %s.", goos),
		Do: "Install the connector on the Windows computer where QuickBooks Desktop is used. " +
			"To try the connector here with the QuickBooks simulator, start \"qbdsim serve\" and add --qbdsim with the address it prints.",
	}
}

// PlatformProblem explains a failed call to the platform at base: the
// platform's own words when it answered, or that it could not be reached.
// Nothing is changed by a failed call, so the advice is to try again once
// the cause is fixed.
func PlatformProblem(base, doing string, err error) error {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		if ge.UserMessage != "" {
			return &Problem{Code: ge.Code, What: ge.UserMessage, Do: ge.Resolution}
		}
		return &Problem{Code: ge.Code, What: fmt.Sprintf("The platform refused %s: %s", doing, ge.Message),
			Do: "Check the link code and the platform's address, then try again; if it keeps failing, ask whoever gave you the link code."}
	}
	if unreachable(err) {
		return &Problem{Code: CondPlatformUnreachable,
			What: fmt.Sprintf("The connector could not reach the platform at %s, so nothing was changed.", base),
			Do: "Check the address (--platform) and this computer's internet connection (and any proxy or firewall). " +
				"If both are right, the platform may be down for a moment: run the command again later.",
			Err: err}
	}
	return &Problem{What: fmt.Sprintf("The platform did not complete %s, so nothing was changed.", doing),
		Do: "Run the command again; if it keeps failing, contact support with the details below.", Err: err}
}

// unreachable reports whether err is a failure to talk to a server at all
// (refused, no route, name unknown, timed out), rather than its answer.
func unreachable(err error) bool {
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || (errors.As(err, &ue) && errors.As(err, &ne))
}

// ForCommandLine rewords a resolution written for the local UI's buttons
// for the command line: "press Perform Sync" becomes running `qbconnector
// sync`, and "press Resume" running `qbconnector resume`.
func ForCommandLine(s string) string {
	return strings.NewReplacer(
		"press Perform Sync", "run \"qbconnector sync\" (Perform Sync)",
		"Press Perform Sync", "Run \"qbconnector sync\" (Perform Sync)",
		"Press Resume", "Run \"qbconnector resume\"",
		"press Resume", "run \"qbconnector resume\"",
	).Replace(s)
}

// forLinking rewords a resolution for `qbconnector link`, where the file is
// not linked yet: trying again means running the link command again.
func forLinking(s string) string {
	return strings.NewReplacer(
		"press Perform Sync", "run the link command again",
		"Press Perform Sync", "Run the link command again",
		"then restart the connector", "then run the link command again",
	).Replace(s)
}
