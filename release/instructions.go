package release

import (
	"fmt"

	"github.com/qbconnect/qbconnect"
)

// The end user's situations after the connector was re-signed, and what to
// do in each. The company's name and file are filled in per connection.
const integratedApps = "Edit > Preferences > Integrated Applications > Company Preferences"

func promptShowing(company, file string) qbconnect.Instructions {
	return qbconnect.Instructions{
		Situation: fmt.Sprintf("QuickBooks is open with %s and asks whether to let the qbconnect connector in.", name(company, file)),
		Steps: []string{
			"Log in to QuickBooks as the administrator (Admin) if you are not.",
			"In the \"Application Certificate\" window, check that it names the qbconnect connector and " + name(company, file) + ", then choose \"Yes, always; allow access even if QuickBooks is not running\" and select a user.",
			"Confirm with \"Yes\" and \"Done\". The connector resumes by itself; the waiting work runs within a minute.",
		},
	}
}

func wrongFileOpen(company, file string) qbconnect.Instructions {
	return qbconnect.Instructions{
		Situation: fmt.Sprintf("QuickBooks has another company file open, not %s.", name(company, file)),
		Steps: []string{
			"If QuickBooks asks about the qbconnect connector now, read the company name in the window: approve it only for " + name(company, file) + "; otherwise choose \"No\".",
			"Open " + name(company, file) + " in QuickBooks (File > Open or Restore Company).",
			"Press Perform Sync in the qbconnect connector, then approve the connector when QuickBooks asks.",
		},
	}
}

func qbClosed(company, file string) qbconnect.Instructions {
	return qbconnect.Instructions{
		Situation: "QuickBooks Desktop is not running, so the connector cannot be authorised (the connector shows \"Timed out attempting to communicate with QBD.\"). Access granted while QuickBooks was closed does not carry over to the new certificate.",
		Steps: []string{
			"Start QuickBooks Desktop and open " + name(company, file) + " as the administrator.",
			"Press Perform Sync in the qbconnect connector so that QuickBooks asks at once (it may take a few moments).",
			"Approve the connector: \"Yes, always; allow access even if QuickBooks is not running\", then \"Yes\" and \"Done\".",
		},
	}
}

func approvedWrongFile(company, file string) qbconnect.Instructions {
	return qbconnect.Instructions{
		Situation: fmt.Sprintf("The connector was approved for another company file; it refuses to work on it and waits for %s.", name(company, file)),
		Steps: []string{
			"In the company file that is open, remove the wrongly approved connector: " + integratedApps + ", select qbconnect and choose Remove.",
			"Open " + name(company, file) + " in QuickBooks as the administrator.",
			"Press Perform Sync in the qbconnect connector and approve it when QuickBooks asks.",
		},
	}
}

func denied(company, file string) qbconnect.Instructions {
	return qbconnect.Instructions{
		Situation: fmt.Sprintf("Access to %s was denied (or removed) in QuickBooks, so the connector's work waits.", name(company, file)),
		Steps: []string{
			"Open " + name(company, file) + " in QuickBooks as the administrator.",
			"Go to " + integratedApps + ", select the qbconnect connector, tick \"Allow this application to access this company file\" (or remove it to be asked again), and choose OK.",
			"Press Perform Sync in the qbconnect connector, and approve it if QuickBooks asks.",
		},
	}
}

func name(company, file string) string {
	switch {
	case company != "" && file != "":
		return fmt.Sprintf("%q (%s)", company, file)
	case company != "":
		return fmt.Sprintf("%q", company)
	case file != "":
		return file
	}
	return "the linked company file"
}

// AllInstructions returns the general instructions for every situation, for
// the notice sent before the rollout.
func AllInstructions() []qbconnect.Instructions {
	list := []qbconnect.Instructions{promptShowing("", ""), wrongFileOpen("", ""), qbClosed("", ""), approvedWrongFile("", ""), denied("", "")}
	list[0].Situation = "QuickBooks is open with the connected company file: it asks whether to let the re-signed connector in, with the same window as when the company was first linked."
	list[1].Situation = "QuickBooks is open with a different company file: QuickBooks asks about the company file that is open."
	list[2].Situation = "QuickBooks is closed: the connector shows \"Timed out attempting to communicate with QBD.\""
	list[3].Situation = "Access was approved for the wrong company file: the connector says a different company file is open."
	list[4].Situation = "Access was denied: QuickBooks will not let the connector work until it is allowed."
	return list
}

// instructionsFor returns the instructions for a connection's exact
// situation, or nil when the end user has nothing to do.
func instructionsFor(cc *qbconnect.CampaignConnection) *qbconnect.Instructions {
	company, file := cc.CompanyName, cc.File.Path
	var in qbconnect.Instructions
	switch cc.State {
	case qbconnect.CampaignCandidateInstalled:
		switch cc.SubState {
		case qbconnect.SubPromptShowing:
			in = promptShowing(company, file)
		case qbconnect.SubWrongFileOpen:
			in = wrongFileOpen(company, file)
		case qbconnect.SubQBClosed:
			in = qbClosed(company, file)
		case "":
			in = qbconnect.Instructions{
				Situation: "The new version of the connector is installed; QuickBooks will ask to authorise it the next time it works on " + name(company, file) + ".",
				Steps:     []string{"Keep QuickBooks open with " + name(company, file) + " and approve the connector when QuickBooks asks."},
			}
		default:
			in = qbconnect.Instructions{
				Situation: fmt.Sprintf("QuickBooks reports a problem (%s) with %s before the connector could be authorised.", cc.HealthCode, name(company, file)),
				Steps:     []string{"Open the qbconnect connector on the QuickBooks computer and follow what it says for this company file.", "Then press Perform Sync and approve the connector when QuickBooks asks."},
			}
		}
	case qbconnect.CampaignWrongFile:
		in = approvedWrongFile(company, file)
	case qbconnect.CampaignDenied:
		in = denied(company, file)
	case qbconnect.CampaignFellBack:
		in = qbClosed(company, file)
		why := "its certificate expired or its release was revoked"
		switch cc.SubState {
		case qbconnect.SubCertificateExpired:
			why = "its certificate expired"
		case qbconnect.SubReleaseRevoked:
			why = "its release was revoked by the publisher"
		}
		in.Situation = "The old version of the connector can no longer work on " + name(company, file) +
			" (" + why + ") and QuickBooks has not authorised the new one yet; work waits until it does."
	default:
		return nil
	}
	return &in
}

// needsAction reports whether the end user must act now for the
// connection: QuickBooks waits for a person, or refused.
func needsAction(cc *qbconnect.CampaignConnection) bool {
	switch cc.State {
	case qbconnect.CampaignDenied, qbconnect.CampaignWrongFile, qbconnect.CampaignFellBack:
		return true
	case qbconnect.CampaignCandidateInstalled:
		return cc.SubState != ""
	}
	return false
}
