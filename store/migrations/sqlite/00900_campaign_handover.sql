-- Rotation campaigns follow the handover: per connection Offered ->
-- CandidateInstalled -> Approved -> Switched, or Denied, WrongFile,
-- FellBack (Left stays). Existing rows move to the new names. Reminders
-- before the old certificate expires are recorded once per campaign,
-- organisation and threshold.

-- +goose Up
UPDATE campaign_connections SET state = 'Offered' WHERE state = 'Pending';
UPDATE campaign_connections SET state = 'CandidateInstalled' WHERE state = 'Updated';
UPDATE campaign_connections SET state = 'Denied', sub_state = '' WHERE state = 'AwaitingReauthorization' AND sub_state = 'denied';
UPDATE campaign_connections SET state = 'WrongFile', sub_state = '' WHERE state = 'AwaitingReauthorization' AND sub_state = 'approved_wrong_file';
UPDATE campaign_connections SET state = 'CandidateInstalled' WHERE state = 'AwaitingReauthorization';
UPDATE campaign_connections SET state = 'Approved' WHERE state = 'Reauthorized';

CREATE TABLE campaign_reminders (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, org_id, days_before)
);

-- +goose Down
DROP TABLE campaign_reminders;
UPDATE campaign_connections SET state = 'Reauthorized' WHERE state IN ('Approved', 'Switched');
UPDATE campaign_connections SET state = 'AwaitingReauthorization', sub_state = 'denied' WHERE state = 'Denied';
UPDATE campaign_connections SET state = 'AwaitingReauthorization', sub_state = 'approved_wrong_file' WHERE state = 'WrongFile';
UPDATE campaign_connections SET state = 'AwaitingReauthorization', sub_state = 'other' WHERE state = 'FellBack';
UPDATE campaign_connections SET state = 'AwaitingReauthorization' WHERE state = 'CandidateInstalled' AND sub_state <> '';
UPDATE campaign_connections SET state = 'Updated' WHERE state = 'CandidateInstalled';
UPDATE campaign_connections SET state = 'Pending' WHERE state = 'Offered';
