-- Envelope encryption: each company's data key, wrapped (AES-256-GCM) by a master key of the
-- OAG_MASTER_KEYS ring. Secrets of the company are sealed under the unwrapped data key; deleting
-- this row makes every copy of them unreadable, backups included.
CREATE TABLE company_keys (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    master_key_id text NOT NULL,
    wrapped_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz,
    PRIMARY KEY (company_id, id)
);
-- One data key per company for now; the id inside each ciphertext leaves room for more.
CREATE UNIQUE INDEX company_keys_one_per_company ON company_keys (company_id);

ALTER TABLE company_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE company_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON company_keys
    USING (company_id = NULLIF(current_setting('oag.company_id', true), '')::uuid);
CREATE POLICY migrator_access ON company_keys TO CURRENT_USER USING (true) WITH CHECK (true);
