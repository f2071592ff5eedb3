package api

import "github.com/qbconnect/qbconnect"

// The schemas of connector releases, signing certificates and rotation
// campaigns as /v1/releases, /v1/signing-certificates and
// /v1/rotation-campaigns answer them (release.go, campaign.go): the
// domain's Release and Campaign written as JSON.

func releaseSchemas() jsonObj {
	campaignStates := make([]string, len(qbconnect.CampaignStates))
	for i, s := range qbconnect.CampaignStates {
		campaignStates[i] = string(s)
	}
	counts := jsonObj{}
	for _, s := range campaignStates {
		counts[s] = integer()
	}
	certificate := object([]string{"thumbprint", "subject", "notBefore", "notAfter"}, jsonObj{
		"thumbprint": str("SHA-1 of the certificate, lowercase hex."), "subject": str(""), "commonName": str(""),
		"issuer": str(""), "serial": str(""), "notBefore": dateTime(),
		"notAfter": withDesc(dateTime(), "0001-01-01T00:00:00Z when unknown."),
	})
	return jsonObj{
		"Certificate": certificate,
		"Artifact": object([]string{"name", "kind", "size", "sha256"}, jsonObj{
			"name":     str("The file name, unique within the release."),
			"kind":     enum(qbconnect.ArtifactExecutable, qbconnect.ArtifactInstaller, qbconnect.ArtifactSignature, qbconnect.ArtifactOther),
			"platform": str("Such as windows/amd64, for executables and installers."), "size": integer(),
			"sha256":        str("Lowercase hex."),
			"signatureKind": str("The signature format, as its standard names it: authenticode-pe, authenticode-msi, pkcs7-detached."),
			"signature":     str("The name of the artifact holding this one's detached signature."),
		}),
		"RolloutState": withDesc(enum(string(qbconnect.RolloutActive), string(qbconnect.RolloutPaused)),
			"Active: offered to the connectors the rollout selects; Paused: offered to none."),
		"Rollout": object([]string{"state", "percent", "updatedAt"}, jsonObj{
			"state": ref("RolloutState"), "percent": jsonObj{"type": "integer", "minimum": 0, "maximum": 100},
			"companies": withDesc(array(str("")), "Company IDs offered the release whatever the percentage."), "updatedAt": dateTime(),
		}),
		"Release": object([]string{"id", "version", "channel", "signer", "artifacts", "rollout", "publishedAt", "updatedAt"}, jsonObj{
			"id": str(""), "version": str("Semantic version, such as 1.4.0."), "channel": str("stable unless said otherwise."),
			"notes": str(""), "signer": ref("Certificate"), "artifacts": array(ref("Artifact")), "rollout": ref("Rollout"),
			"campaignId":  str("The rotation campaign the release started, when its signer differs from the previous release's."),
			"publishedAt": dateTime(), "updatedAt": dateTime(),
		}),
		"SigningCertificate": object([]string{"thumbprint", "source", "connectors"}, jsonObj{
			"thumbprint": str(""),
			"source":     withDesc(enum(certVerified, certClaim), "verified: it signed a release the platform published, and its details come from that signature; connector_claim: only what a connector reports about itself."),
			"connectors": withDesc(integer(), "The organisation's connectors running it."), "claimedSigner": str("What the connector reports as its signer (connector_claim)."),
			"subject": str(""), "commonName": str(""), "issuer": str(""), "serial": str(""), "notBefore": dateTime(), "notAfter": dateTime(),
			"daysLeft": withDesc(integer(), "Whole days until notAfter; negative once expired."), "releases": array(str("A version it signed.")),
		}),
		"CampaignStatus": withDesc(enum(string(qbconnect.CampaignActive), string(qbconnect.CampaignComplete)),
			"Active while some connections have not approved the new version; Complete when every one did (or left)."),
		"CampaignState": withDesc(enum(campaignStates...),
			"Where a connection is: Offered → CandidateInstalled → Approved → Switched; Denied, WrongFile and FellBack are the detours, Left the way out."),
		"Instructions": object([]string{"situation", "steps"}, jsonObj{"situation": str("What the end user sees."), "steps": array(str(""))}),
		"CampaignConnection": object([]string{"connectionId", "companyId", "companyName", "connectorId", "file", "state", "oldThumbprint", "since", "needsAction"}, jsonObj{
			"connectionId": str(""), "companyId": str(""), "companyName": str(""), "connectorId": str(""), "file": ref("FileIdentity"),
			"state":         ref("CampaignState"),
			"subState":      withDesc(enum(qbconnect.SubPromptShowing, qbconnect.SubWrongFileOpen, qbconnect.SubQBClosed, qbconnect.SubApprovedWrongFile, qbconnect.SubDenied, qbconnect.SubOther), "What stands in the way, in CandidateInstalled (and Denied, WrongFile)."),
			"healthCode":    ref("HealthCode"),
			"oldThumbprint": str("The certificate the connector ran before."),
			"since":         withDesc(dateTime(), "When the connection entered its state."),
			"updatedAt":     withDesc(dateTime(), "When the connector ran the new release."),
			"approvedAt":    withDesc(dateTime(), "When QuickBooks authorised the new version."),
			"remindedAt":    dateTime(), "needsAction": withDesc(boolean(), "The end user must act now."),
			"instructions": ref("Instructions"),
		}),
		"Campaign": object([]string{"id", "releaseId", "version", "status", "oldThumbprints", "newSigner", "rolloutAt", "createdAt", "counts"}, jsonObj{
			"id": str(""), "releaseId": str(""), "version": str("The release signed with the new certificate."), "status": ref("CampaignStatus"),
			"oldThumbprints": array(str("")), "newSigner": ref("Certificate"),
			"rolloutAt":               withDesc(dateTime(), "From then on, end users are asked to authorise the new version."),
			"reminderAfter":           durationSchema(),
			"createdAt":               dateTime(),
			"notifiedAt":              withDesc(dateTime(), "When every affected client was emailed the notice."),
			"oldCertificateExpiresAt": withDesc(dateTime(), "The date by which connections should be Approved."),
			"completedAt":             dateTime(),
			"counts":                  withDesc(object(campaignStates, counts), "Connections per state, over the organisation's connections."),
			"connections":             withDesc(array(ref("CampaignConnection")), "In a list, the connections that need action; in a campaign read alone, every one."),
		}),
	}
}
