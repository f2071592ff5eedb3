// Package connector is the desktop connector: the agent that runs next to
// QuickBooks Desktop, long-polls the platform's connector gateway for work,
// runs each work item against QuickBooks through a qbd driver (one at a
// time: QuickBooks processes one request at a time), and posts QuickBooks'
// raw answer back.
//
// The pieces, one file each:
//
//   - config.go: the per-machine data folder (owner-only), the linked
//     company files and the credential.
//   - identity.go: the connector's version and the signer of its own
//     executable.
//   - journal.go: the crash-safe SQLite journal. Each item is recorded before
//     it is sent to QuickBooks and its answer after, so that after a crash a
//     stored answer is reported instead of running the item again, and a
//     write whose answer was lost is recovered from QuickBooks with its
//     qbXML message-set ID (oldMessageSetID) instead of being written twice.
//   - quickbooks.go: the session with QuickBooks, the company-file identity
//     stamp (a private DataExt) and its check before any work runs.
//   - state.go: the condition of each company file (derived with
//     qbd.Diagnose), the platform's reachability and pauses.
//   - agent.go: the Agent and its one lifecycle: the poll loop with back-off,
//     the runner, the state reporter and the prober that clears a state as
//     soon as QuickBooks answers normally again.
//   - ui.go: the local web UI on 127.0.0.1, protected by a per-installation
//     token.
//   - link.go: linking a company file to a platform company with a link code.
//
// It imports qbd, qbxml, signing and gateway (the wire types and client),
// never the platform's store or API. Only cmd/qbconnector, its tray
// (connector/tray), the in-process harnesses (internal/demo,
// internal/scenario, internal/testenv) and tests import it.
package connector
