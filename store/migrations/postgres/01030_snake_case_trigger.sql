-- Sync triggers follow the API's convention for enumerations that are not
-- states (snake_case): the on-demand trigger was stored as 'onDemand'.

-- +goose Up
UPDATE sync_states SET trigger_by = 'on_demand' WHERE trigger_by = 'onDemand';
UPDATE sync_runs SET trigger_by = 'on_demand' WHERE trigger_by = 'onDemand';

-- +goose Down
UPDATE sync_states SET trigger_by = 'onDemand' WHERE trigger_by = 'on_demand';
UPDATE sync_runs SET trigger_by = 'onDemand' WHERE trigger_by = 'on_demand';
