-- Daily usage per company, day (UTC), member, key and model, kept up to date in the same
-- transaction as the events of each batch, so that usage pages read a few rows per day
-- however long the history.
CREATE TABLE usage_daily (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    day date NOT NULL,
    user_id uuid,
    api_key_id uuid,
    model text NOT NULL,
    provider text NOT NULL,
    requests bigint NOT NULL,
    failed_requests bigint NOT NULL,
    prompt_tokens bigint NOT NULL,
    completion_tokens bigint NOT NULL,
    cost_micros bigint NOT NULL,
    CONSTRAINT usage_daily_key UNIQUE NULLS NOT DISTINCT (company_id, day, user_id, api_key_id, model)
);
CREATE INDEX usage_daily_by_member ON usage_daily (company_id, user_id, day);

ALTER TABLE usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_daily
    USING (company_id = NULLIF(current_setting('oag.company_id', true), '')::uuid);
CREATE POLICY migrator_access ON usage_daily TO CURRENT_USER USING (true) WITH CHECK (true);

-- The request log: newest first, optionally one model; the primary key serves the unfiltered list.
CREATE INDEX usage_events_by_model ON usage_events (company_id, model, occurred_at DESC, id DESC);
