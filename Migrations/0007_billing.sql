-- Monthly statements. A month's statement is written once, when it is first asked for after the
-- month ended, and read from here ever after: late events and later price changes never alter it.

-- Every change of the price table makes a new version; statements name the one they used.
CREATE TABLE price_versions (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model text,
    changed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
-- Version 1: the prices the models table shipped with.
INSERT INTO price_versions (model) VALUES (NULL);

CREATE TABLE statements (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month date NOT NULL CHECK (month = date_trunc('month', month)),
    price_version integer NOT NULL REFERENCES price_versions (id),
    requests bigint NOT NULL,
    total_micros bigint NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, month)
);

CREATE TABLE statement_lines (
    company_id uuid NOT NULL,
    month date NOT NULL,
    model text NOT NULL,
    provider text NOT NULL,
    requests bigint NOT NULL,
    prompt_tokens bigint NOT NULL,
    completion_tokens bigint NOT NULL,
    input_micros_per_million bigint NOT NULL,
    output_micros_per_million bigint NOT NULL,
    amount_micros bigint NOT NULL,
    PRIMARY KEY (company_id, month, model),
    FOREIGN KEY (company_id, month) REFERENCES statements (company_id, month) ON DELETE CASCADE
);

ALTER TABLE statements ENABLE ROW LEVEL SECURITY;
ALTER TABLE statements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON statements
    USING (company_id = NULLIF(current_setting('oag.company_id', true), '')::uuid);
CREATE POLICY migrator_access ON statements TO CURRENT_USER USING (true) WITH CHECK (true);
ALTER TABLE statement_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE statement_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON statement_lines
    USING (company_id = NULLIF(current_setting('oag.company_id', true), '')::uuid);
CREATE POLICY migrator_access ON statement_lines TO CURRENT_USER USING (true) WITH CHECK (true);

-- Retention: raw usage events of months before p_before are dropped a partition at a time (the
-- default partition's old rows are deleted); daily rollups and statements stay. Returns how many
-- monthly partitions went.
CREATE FUNCTION drop_usage_before(p_before date)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
    cutoff date := date_trunc('month', p_before)::date;
    partition_name text;
    dropped integer := 0;
BEGIN
    FOR partition_name IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
            AND to_date(substring(c.relname FROM 14), 'YYYY_MM') < cutoff
    LOOP
        EXECUTE format('DROP TABLE %I', partition_name);
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM usage_events_default WHERE occurred_at < cutoff;
    RETURN dropped;
END
$$;
