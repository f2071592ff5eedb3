-- Sync triggers follow the API's convention for enumerations that are not
-- states (snake_case): the on-demand trigger was stored as 'onDemand', in
-- sync states and runs and in the sync events' payloads waiting to be
-- delivered (or replayed), which show the sync state as the API does.

-- +goose Up
UPDATE sync_states SET trigger_by = 'on_demand' WHERE trigger_by = 'onDemand';
UPDATE sync_runs SET trigger_by = 'on_demand' WHERE trigger_by = 'onDemand';
UPDATE webhook_events SET data = REPLACE(data, '"trigger":"onDemand"', '"trigger":"on_demand"')
WHERE type IN ('sync.completed', 'sync.failed') AND data LIKE '%"trigger":"onDemand"%';

-- +goose Down
UPDATE sync_states SET trigger_by = 'onDemand' WHERE trigger_by = 'on_demand';
UPDATE sync_runs SET trigger_by = 'onDemand' WHERE trigger_by = 'on_demand';
UPDATE webhook_events SET data = REPLACE(data, '"trigger":"on_demand"', '"trigger":"onDemand"')
WHERE type IN ('sync.completed', 'sync.failed') AND data LIKE '%"trigger":"on_demand"%';
