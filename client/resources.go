package client

import (
	"context"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// The API's resources as the callers use them. Each method calls the
// generated operation of the same name.

// CreateCompanyRequest is the body of createCompany.
type CreateCompanyRequest = sdk.CompanyCreate

// Schedule returns a syncSchedule whose every is an interval such as
// "6h"; "-1s" means only when asked (POST .../sync).
func Schedule(every string) *sdk.SyncSchedule {
	return &sdk.SyncSchedule{Every: &every}
}

// CreateCompany creates a company (createCompany, POST /v1/companies).
func (c *Client) CreateCompany(ctx context.Context, body CreateCompanyRequest, editors ...RequestEditorFn) (*qbconnect.Company, error) {
	return decode[qbconnect.Company](c.raw().CreateCompany(ctx, body, editors...))
}

// ListCompanies lists one page of the organisation's companies
// (listCompanies, GET /v1/companies).
func (c *Client) ListCompanies(ctx context.Context, params ListParams, editors ...RequestEditorFn) (*Page[qbconnect.Company], error) {
	return decode[Page[qbconnect.Company]](c.raw().ListCompanies(ctx, &sdk.ListCompaniesParams{Limit: params.limit(), Cursor: params.cursor()}, editors...))
}

// GetCompany returns a company (getCompany, GET /v1/companies/{companyId}).
func (c *Client) GetCompany(ctx context.Context, companyID string, editors ...RequestEditorFn) (*qbconnect.Company, error) {
	return decode[qbconnect.Company](c.raw().GetCompany(ctx, companyID, editors...))
}

// CreateConnection adds a connection of a kind (connector or
// webconnector) to a company (createConnection, POST
// /v1/companies/{companyId}/connections).
func (c *Client) CreateConnection(ctx context.Context, companyID string, kind qbconnect.ConnectionKind, editors ...RequestEditorFn) (*qbconnect.Connection, error) {
	body := sdk.CreateConnectionJSONRequestBody{Kind: ptr(sdk.CreateConnectionJSONBodyKind(kind))}
	return decode[qbconnect.Connection](c.raw().CreateConnection(ctx, companyID, body, editors...))
}

// ListConnections lists a company's connections (listConnections, GET
// /v1/companies/{companyId}/connections).
func (c *Client) ListConnections(ctx context.Context, companyID string, editors ...RequestEditorFn) ([]qbconnect.Connection, error) {
	page, err := decode[Page[qbconnect.Connection]](c.raw().ListConnections(ctx, companyID, editors...))
	if err != nil {
		return nil, err
	}
	return page.Data, nil
}

// GetConnection returns a connection with its status and health
// (getConnection).
func (c *Client) GetConnection(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*qbconnect.Connection, error) {
	return decode[qbconnect.Connection](c.raw().GetConnection(ctx, companyID, connectionID, editors...))
}

// PauseConnection pauses a connection until resumed (pauseConnection).
func (c *Client) PauseConnection(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*qbconnect.Connection, error) {
	return decode[qbconnect.Connection](c.raw().PauseConnection(ctx, companyID, connectionID, sdk.PauseConnectionJSONRequestBody{}, editors...))
}

// ResumeConnection resumes a paused connection (resumeConnection).
func (c *Client) ResumeConnection(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*qbconnect.Connection, error) {
	return decode[qbconnect.Connection](c.raw().ResumeConnection(ctx, companyID, connectionID, sdk.ResumeConnectionJSONRequestBody{}, editors...))
}

// LinkCode is a short-lived code that links a connector to a connection.
type LinkCode = sdk.LinkCode

// CreateLinkCode issues a link code for a connection, with the server's
// default lifetime (createLinkCode).
func (c *Client) CreateLinkCode(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*LinkCode, error) {
	return decode[LinkCode](c.raw().CreateLinkCode(ctx, companyID, connectionID, sdk.CreateLinkCodeJSONRequestBody{}, editors...))
}

// Operation is a queued write or passthrough as the API shows it.
type Operation = sdk.Operation

// OperationError is the error of a failed operation or sync.
type OperationError = sdk.EmbeddedError

// OperationPending is the Status of an operation not done yet.
const OperationPending = sdk.OperationStatusPending

// GetOperationParams are the query parameters of getOperation.
type GetOperationParams struct {
	// Wait, when positive, holds the answer until the operation is done
	// or Wait has passed (a long poll).
	Wait time.Duration
}

// GetOperation returns an operation (getOperation, GET
// /v1/operations/{operationId}).
func (c *Client) GetOperation(ctx context.Context, operationID string, params GetOperationParams, editors ...RequestEditorFn) (*Operation, error) {
	var p sdk.GetOperationParams
	if params.Wait > 0 {
		p.Wait = ptr(params.Wait.String())
	}
	return decode[Operation](c.raw().GetOperation(ctx, operationID, &p, editors...))
}

// CreateCustomer queues a write of a new customer and returns its
// operation (createCustomer). Pass WithIdempotencyKey.
func (c *Client) CreateCustomer(ctx context.Context, companyID string, body sdk.CustomerCreate, editors ...RequestEditorFn) (*Operation, error) {
	return decode[Operation](c.raw().CreateCustomer(ctx, companyID, nil, body, editors...))
}

// Passthrough queues a raw qbXML request and returns its operation, whose
// Response holds QuickBooks' answer once done (runQbxml, POST
// /v1/companies/{companyId}/qbxml).
func (c *Client) Passthrough(ctx context.Context, companyID, qbxml string, editors ...RequestEditorFn) (*Operation, error) {
	return decode[Operation](c.raw().RunQbxmlWithBody(ctx, companyID, nil, "application/xml", strings.NewReader(qbxml), editors...))
}

// SyncState is one data type's sync as the API shows it.
type SyncState = sdk.SyncState

// StartSync starts a sync of a company's data types (all when
// req.DataTypes is empty) and returns their states (startSync).
func (c *Client) StartSync(ctx context.Context, companyID string, req qbconnect.SyncRequest, editors ...RequestEditorFn) ([]SyncState, error) {
	body := sdk.StartSyncJSONRequestBody{Full: ptr(req.Full)}
	if len(req.DataTypes) > 0 {
		body.DataTypes = &req.DataTypes
	}
	page, err := decode[Page[SyncState]](c.raw().StartSync(ctx, companyID, body, editors...))
	if err != nil {
		return nil, err
	}
	return page.Data, nil
}

// GetSyncStatus returns the sync of every data type of a company
// (getSyncStatus).
func (c *Client) GetSyncStatus(ctx context.Context, companyID string, editors ...RequestEditorFn) ([]SyncState, error) {
	page, err := decode[Page[SyncState]](c.raw().GetSyncStatus(ctx, companyID, editors...))
	if err != nil {
		return nil, err
	}
	return page.Data, nil
}

// SyncRun is one pass of a company's sync history.
type SyncRun = sdk.SyncRun

// ListSyncRuns lists one page of a company's sync history (listSyncRuns).
func (c *Client) ListSyncRuns(ctx context.Context, companyID string, params ListParams, editors ...RequestEditorFn) (*Page[SyncRun], error) {
	return decode[Page[SyncRun]](c.raw().ListSyncRuns(ctx, companyID, &sdk.ListSyncRunsParams{Limit: params.limit(), Cursor: params.cursor()}, editors...))
}

// GetRotationCampaign returns a certificate rotation campaign
// (getRotationCampaign), which the server writes as a qbconnect.Campaign.
func (c *Client) GetRotationCampaign(ctx context.Context, campaignID string, editors ...RequestEditorFn) (*qbconnect.Campaign, error) {
	return decode[qbconnect.Campaign](c.raw().GetRotationCampaign(ctx, campaignID, editors...))
}

// WebhookCreated is a new webhook subscription with its signing secret,
// shown only then.
type WebhookCreated = sdk.WebhookCreated

// ListWebhookDeliveries lists one page of a webhook's deliveries
// (listWebhookDeliveries), which the server writes as
// qbconnect.WebhookDelivery.
func (c *Client) ListWebhookDeliveries(ctx context.Context, webhookID string, params ListParams, editors ...RequestEditorFn) (*Page[qbconnect.WebhookDelivery], error) {
	return decode[Page[qbconnect.WebhookDelivery]](c.raw().ListWebhookDeliveries(ctx, webhookID, &sdk.ListWebhookDeliveriesParams{Limit: params.limit(), Cursor: params.cursor()}, editors...))
}

// CreateWebhook subscribes a URL to events (createWebhook, POST
// /v1/webhooks); no events means every event.
func (c *Client) CreateWebhook(ctx context.Context, body sdk.CreateWebhookJSONRequestBody, editors ...RequestEditorFn) (*WebhookCreated, error) {
	return decode[WebhookCreated](c.raw().CreateWebhook(ctx, body, editors...))
}

// GetQwcFile returns the .qwc file of a Web Connector connection and its
// password (getQwcFile, GET
// /v1/companies/{companyId}/connections/{connectionId}/qwc).
func (c *Client) GetQwcFile(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*qbconnect.WebConnectorFile, error) {
	return decode[qbconnect.WebConnectorFile](c.raw().GetQwcFile(ctx, companyID, connectionID, &sdk.GetQwcFileParams{}, editors...))
}
