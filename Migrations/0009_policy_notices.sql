-- Policy versions say what changed and who published them; users acknowledge significant ones.
-- Platform-level tables, not tenant data: one policy for everyone, so no company_id and no RLS.
ALTER TABLE policy_versions
    ADD COLUMN summary text NOT NULL DEFAULT '',
    ADD COLUMN published_by uuid REFERENCES users (id) ON DELETE SET NULL;

UPDATE policy_versions SET summary = 'First published version.' WHERE version = 1 AND summary = '';

CREATE TABLE policy_acknowledgements (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version integer NOT NULL REFERENCES policy_versions (version),
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, version)
);
