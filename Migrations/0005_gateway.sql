-- The gateway: models and their prices, API keys, a company's own provider keys, metered
-- usage, per-key request windows, and conversation threads.

-- Which provider serves each model, and what it costs (US dollars per million tokens, in
-- millionths of a dollar). Operators edit prices; a model without a row is unknown.
CREATE TABLE models (
    id text PRIMARY KEY,
    provider text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'deepseek')),
    upstream_name text NOT NULL,
    input_micros_per_million bigint NOT NULL CHECK (input_micros_per_million >= 0),
    output_micros_per_million bigint NOT NULL CHECK (output_micros_per_million >= 0),
    -- Tried once when this model's provider fails before answering.
    fallback_model text REFERENCES models (id) ON DELETE SET NULL,
    is_active boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO models (id, provider, upstream_name, input_micros_per_million, output_micros_per_million) VALUES
    ('gpt-4o', 'openai', 'gpt-4o', 2500000, 10000000),
    ('gpt-4o-mini', 'openai', 'gpt-4o-mini', 150000, 600000),
    ('gpt-4.1', 'openai', 'gpt-4.1', 2000000, 8000000),
    ('gpt-4.1-mini', 'openai', 'gpt-4.1-mini', 400000, 1600000),
    ('o3-mini', 'openai', 'o3-mini', 1100000, 4400000),
    ('claude-sonnet-4-5', 'anthropic', 'claude-sonnet-4-5', 3000000, 15000000),
    ('claude-haiku-4-5', 'anthropic', 'claude-haiku-4-5', 1000000, 5000000),
    ('claude-opus-4-1', 'anthropic', 'claude-opus-4-1', 15000000, 75000000),
    ('deepseek-chat', 'deepseek', 'deepseek-chat', 270000, 1100000),
    ('deepseek-reasoner', 'deepseek', 'deepseek-reasoner', 550000, 2190000);

-- Gateway API keys: shown once, stored as SHA-256 with a visible prefix.
CREATE TABLE api_keys (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash bytea NOT NULL UNIQUE,
    -- Empty: every model the company allows.
    allowed_models text[] NOT NULL DEFAULT '{}',
    monthly_token_budget bigint CHECK (monthly_token_budget > 0),
    monthly_spend_budget_micros bigint CHECK (monthly_spend_budget_micros > 0),
    requests_per_minute integer CHECK (requests_per_minute > 0),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (company_id, id)
);

-- A company's own settings per provider: its API key (sealed by the vault) and which models
-- of that provider its members may use (empty: all).
CREATE TABLE provider_settings (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'deepseek')),
    api_key bytea,
    key_hint text,
    allowed_models text[] NOT NULL DEFAULT '{}',
    is_enabled boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, provider)
);

-- Conversation threads in the console (and of API callers that send X-OAG-Thread).
CREATE TABLE threads (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    user_id uuid,
    title text NOT NULL,
    model text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, user_id) REFERENCES memberships (company_id, user_id) ON DELETE CASCADE
);
CREATE INDEX threads_by_member ON threads (company_id, user_id, updated_at DESC);

-- Message content is sealed by the vault, like other secrets of the company.
CREATE TABLE thread_messages (
    company_id uuid NOT NULL,
    id uuid NOT NULL,
    thread_id uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content bytea NOT NULL,
    model text,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, thread_id) REFERENCES threads (company_id, id) ON DELETE CASCADE
);
CREATE INDEX thread_messages_in_order ON thread_messages (company_id, thread_id, created_at, id);

-- One row per gateway request, written in batches; partitioned by month so that old months
-- are dropped whole. No foreign keys: a usage record outlives the key or member it names.
CREATE TABLE usage_events (
    company_id uuid NOT NULL,
    id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    user_id uuid,
    api_key_id uuid,
    thread_id uuid,
    provider text NOT NULL,
    model text NOT NULL,
    prompt_tokens integer NOT NULL,
    completion_tokens integer NOT NULL,
    cost_micros bigint NOT NULL,
    latency_ms integer NOT NULL,
    status integer NOT NULL,
    PRIMARY KEY (company_id, occurred_at, id)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

-- Requests per key per minute, shared by every app node; only keys with a limit use it.
CREATE TABLE rate_limit_windows (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    api_key_id uuid NOT NULL,
    window_start timestamptz NOT NULL,
    requests integer NOT NULL,
    PRIMARY KEY (company_id, api_key_id, window_start)
);

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY[
        'api_keys', 'provider_settings', 'threads', 'thread_messages', 'usage_events', 'usage_events_default', 'rate_limit_windows'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (company_id = NULLIF(current_setting(''oag.company_id'', true), '''')::uuid)',
            tenant_table);
        EXECUTE format('CREATE POLICY migrator_access ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', tenant_table);
    END LOOP;
END
$$;

-- A month's partition of usage_events, made by the app (which may not run DDL) before it is needed.
CREATE FUNCTION ensure_usage_partition(p_month date)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
    first_day date := date_trunc('month', p_month)::date;
    partition_name text := format('usage_events_%s', to_char(first_day, 'YYYY_MM'));
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
            partition_name, first_day, (first_day + interval '1 month')::date);
    EXCEPTION WHEN check_violation THEN
        -- The default partition already holds rows of this month: they keep it for now.
        RETURN;
    END;
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition_name);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition_name);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %I USING (company_id = NULLIF(current_setting(''oag.company_id'', true), '''')::uuid)',
        partition_name);
END
$$;

-- Which company an API key belongs to: authentication happens before the tenant is known.
CREATE FUNCTION api_key_by_hash(p_key_hash bytea)
RETURNS TABLE (company_id uuid, id uuid, name text, allowed_models text[], monthly_token_budget bigint,
               monthly_spend_budget_micros bigint, requests_per_minute integer, revoked_at timestamptz, created_by uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT company_id, id, name, allowed_models, monthly_token_budget, monthly_spend_budget_micros, requests_per_minute, revoked_at,
        created_by
    FROM api_keys WHERE key_hash = p_key_hash
$$;

-- Old request windows of every company, for the maintenance pass (which has no tenant).
CREATE FUNCTION purge_rate_limit_windows()
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM rate_limit_windows WHERE window_start < now() - interval '5 minutes'
$$;

-- Counts one request of a key in the current minute and returns the count and the seconds left in
-- the window: one round trip on the hot path of rate-limited keys.
CREATE FUNCTION count_request(p_company_id uuid, p_api_key_id uuid)
RETURNS TABLE (requests integer, seconds_left double precision)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO rate_limit_windows AS w (company_id, api_key_id, window_start, requests)
    VALUES (p_company_id, p_api_key_id, date_trunc('minute', now()), 1)
    ON CONFLICT (company_id, api_key_id, window_start) DO UPDATE SET requests = w.requests + 1
    RETURNING w.requests, extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now())::float8
$$;
