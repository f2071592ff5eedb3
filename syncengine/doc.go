// Package syncengine is the platform's sync engine: it copies every list
// and transaction type of a QuickBooks company file into the store, keeps
// the copy current, and turns clients' writes into qbXML. It implements
// qbconnect.SyncService and imports the domain, the store and the qbxml
// codec, never the connector or the simulator.
//
// # Transport
//
// The engine never talks to QuickBooks. It plans each qbXML request as an
// Operation on the Queue (kind sync or write) and ingests the response of
// each finished operation. Whoever completes operations — the connector
// gateway and the Web Connector endpoint — calls, after Queue.Complete has
// applied an outcome:
//
//	follow, err := engine.HandleOperation(ctx, op, bytes.NewReader(op.Result))
//
// for every operation of kind sync or write that reached a final status
// (Success, Failed, TimedOut, Canceled). It is idempotent and ignores
// other kinds and stale or repeated results, so calling it for every
// applied outcome is right. If the platform stops between Complete and
// HandleOperation, the scheduler's Reconcile finds the finished operation
// and handles it.
//
// The control plane does better for sync pages: it calls IngestPage from
// Outcome.Then, inside Complete's transaction, so that completing the
// operation, the page's records, the checkpoint, the next page's
// operation and the events are one transaction, and the page's qbXML
// answer (up to a megabyte) is not stored: its records are. A page is
// then one transaction besides its lease.
//
// # Passes and pages
//
// Each data type of a company has one SyncState. A pass (full, or
// incremental by modified date) is a run of pages: the first page is a
// query with iterator="Start" and MaxReturned (Config.MaxReturned, 500 by
// default); every page that leaves records in the iterator enqueues the
// next one at PriorityContinuation, since QuickBooks expires iterators. An
// incremental pass asks for records modified since the type's high-water
// mark minus Config.Overlap (5 minutes), and its first page also asks,
// in the same message set, for objects deleted since the deleted mark
// (ListDeletedQuery / TxnDeletedQuery). A page is identified by its run,
// restart count and page number (carried in the operation's Meta and used
// as its idempotency key); its records are decoded from the response on a
// goroutine of their own and streamed into the store in multi-row batches
// inside one transaction that also writes
// the new checkpoint and queues the next page's operation (which the
// checkpoint names), so a page is ingested entirely or not at all, exactly
// once, and never without its successor.
//
// An expired iterator (status 3391), QuickBooks closing mid-iterator, an
// unreadable response or a retryable QuickBooks status restarts the pass
// from its first page (records already stored stay; upserts are
// idempotent), up to Config.MaxRestarts times; a failed or timed-out
// operation fails the pass with its error, and the next scheduled or
// on-demand sync starts over (full until a full pass completed).
//
// A full pass reconciles. Its pages write the pass's sweep generation
// into every record they upsert (records.seen, in the page's
// transaction), and its last page, in the transaction of its records
// and checkpoint, marks deleted every live record of the company and
// type that the pass did not return and that nothing wrote since the
// pass started (a client's write during the pass), with the
// record.deleted events a deleted query's deletions raise
// (store.SyncPage.SweepUnseen); a page whose query the company lacks
// the feature for (status 3250) sweeps nothing. A pass that
// restarts keeps its generation, so its sweep spares what an earlier
// attempt returned; a pass killed between pages goes on from its
// checkpoint; a failed pass sweeps nothing. A company's first sync pays
// one index probe for it. Full passes ask for inactive elements too
// (ActiveStatus All) so as not to take them for deleted ones; a list
// query without ActiveStatus (TemplateQueryRq, LeadQueryRq,
// BillingRateQueryRq) returns every element.
//
// Deleted queries answer the last 90 days only, so a pass is full,
// whatever was asked, when the type's last completed pass (which learnt
// the deletions up to its start) is older than deletedHorizon, a little
// under 90 days: a connector offline for months. QuickBooks reports no
// deletions of some types (leads, transfers): their pass is full once
// their last full pass is Config.FullEvery old (24 hours). A full pass
// says why it is full in its state and its run (FullReason: the type's
// first sync, an empty type, a client's request, a type read whole, or
// one of these two), which the API and the sync events show; the engine
// logs the last two, which make full a pass that was due incremental.
//
// A type whose query has no modified-date filter (TemplateQueryRq) is
// read whole by every pass, as a full pass, and so reconciles every
// pass. A query that QuickBooks answers with status 3250 (the company
// lacks the type's feature: payroll, sites, assemblies, multicurrency)
// holds none of the type, and its pass completes empty.
//
// The high-water mark after a pass is the latest TimeModified it saw minus
// the pass's duration, so records changed while a long pass ran are asked
// for again by the next one.
//
// # Balances and stock
//
// A customer's or vendor's Balance and TotalBalance move with every
// transaction on accounts receivable or payable that names it (types
// whose Ret has an ARAccountRef or APAccountRef: invoices, payments,
// statement charges, credit card refunds, bills and the like; and
// journal entry lines' EntityRef), and an inventory item's
// QuantityOnHand (and, with purchases, its AverageCost) with every
// purchase, sale, return, inventory adjustment and assembly build whose
// lines name it. QuickBooks is not known to mark the customer, vendor or
// item modified when they do, so an incremental pass would not bring the
// new figures. One table says what each transaction type moves
// (moveKinds: entity balances, item stock). An incremental page of such
// transactions notes the records its added, changed or deleted
// transactions name (before and after the change: a transaction moved to
// another customer or item, or deleted, moves the old one too) and the
// parents of the customers, and queues with its checkpoint a refresh:
// one message set of queries by ListID, a hundred IDs each, at
// PriorityContinuation, whose answer is stored as a page's
// (store.SyncStore.JoinRecordsPage), with record events only for those
// that changed. Transactions that come back as stored (the overlap) note
// nothing, records the store does not hold are left to their own passes,
// and a record stored as modified at or after the change (its own pass
// of the same run brought it) is not read again. The refresh of a pass's
// last page is the last step of the pass: the state awaits it (its OpID,
// with no iterator), and the pass, and with it the sync and
// sync.completed, ends in the transaction that stores it
// (store.SyncPage.RecordsPage), so a client told the sync ended reads
// the new figures. Full passes refresh nothing, but for the full pass
// after one that found the type empty (it had no high-water mark to ask
// from): what it brings is new. A write reads the records it moves in
// its own message set, after the write, and stores them with it: a read
// right after the write sees the new figures, at no extra round trip.
//
// An account's Balance and TotalBalance move with every posting to it,
// and a transaction posts to accounts it does not name (an item's income
// account, Undeposited Funds), so accounts are not in moveKinds: every
// pass reads them whole, in one AccountQuery (accounts.go).
//
// A renamed list element keeps its ListID, and QuickBooks shows its new
// name in every reference to it, and its sub-elements' new full names,
// without marking any of those records modified (rename.go). A page of a
// list type that synced before reads the stored names of its records
// before writing them (renameTracker); for each element stored under a
// new name, the page finds its stored sub-elements by name
// (store.SyncPage.NamedUnder) and every stored record that names one of
// them by listId (store.SyncPage.Referring, a scan of the company's
// records: a rename's cost, not a page's), rewrites their references'
// fullName (and a sub-element's own) byte for byte otherwise
// (renameRefs), and stores them, per type, in records pages of its own
// transaction. A write that renames an element does the same in the
// write's transaction.
//
// A list element QuickBooks deleted while stored records name it was
// merged into another (QuickBooks refuses to delete a name in use), and
// its records name the other now, unmodified as far as is known
// (merge.go). A page of a list type notes the deletions (and its sweep's)
// of elements the store holds live (goneTracker), finds the stored
// records that name them (store.SyncPage.Referring) and adds them, by
// TxnID or ListID, to the refresh it queues with its checkpoint, with,
// for customers, the parents of the merged customers and of the page's
// customers, whose TotalBalance the merge moved.
//
// # Records as JSON
//
// A record's Data is the Ret element as JSON: keys are JSONName of the
// element names (ListID → listId, TxnID → txnId, EditSequence →
// editSequence, CustomerRef → customerRef {listId, fullName},
// InvoiceLineRet → invoiceLine); children the schema lets repeat are
// arrays even with one element; booleans are JSON booleans, integers JSON
// numbers, and amounts, prices, quantities and percentages strings, so that
// no precision is lost. Writes take the same keys (InvoiceLineAdd and
// InvoiceLineMod are invoiceLine too); the engine builds the qbXML element
// in schema order and validates it with the qbxml encoder, so a bad body is
// EInvalid naming the field before anything is queued.
//
// # Writes
//
// PlanWrite enqueues one message set with a fresh newMessageSetID (the
// operation's MessageSetID) and onError="stopOnError". When the answer to
// a write is lost, the connector asks QuickBooks for the stored answer with
// oldMessageSetID instead of running the write again; the engine reads that
// answer exactly like the first. WriteResult maps the answer: the record
// on success (also upserted into the store by HandleOperation), EConflict
// for a stale editSequence (status 3200), EQuickBooks with QuickBooks'
// status code and message otherwise.
//
// # Throughput
//
// BenchmarkFullSync measures a full sync of 100,000 transactions through
// the whole pipeline (queue, in-process simulator, decode, JSON, upsert,
// commit) against the decoder alone in the same run:
//
//	QBCONNECT_TEST_POSTGRES=postgres://... go test ./syncengine/ -run XXX -bench BenchmarkFullSync -benchtime=1x
//
// On a shared machine compare cpu-records/s and x-decoder-cpu; wall-time
// rates move with other load.
//
// # Schedule
//
// Start runs a scheduler that, every Config.TickInterval, reconciles and
// starts a scheduled pass (PriorityScheduled) for each type of each
// company whose schedule is due and whose window (qbconnect.SyncWindow)
// allows it; SyncNow starts on-demand passes at PriorityInteractive. A
// type whose pass is queued or fetching is never started twice.
package syncengine
