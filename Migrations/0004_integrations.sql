-- Connected accounts (OAuth 2.0) and sign-in with Google or GitHub.

-- Accounts made by signing in with a provider have no password until they set one.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- A member's connection to a provider, per company: the company's data key seals the tokens,
-- so destroying that key makes every copy of them unreadable.
CREATE TABLE integrations (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    provider text NOT NULL CHECK (provider IN ('google', 'github', 'gitlab', 'yandex')),
    account_id text NOT NULL,
    account_label text NOT NULL,
    scopes text[] NOT NULL,
    -- Sealed by the vault (AES-256-GCM, this row's identity as associated data).
    access_token bytea NOT NULL,
    refresh_token bytea,
    access_expires_at timestamptz,
    -- Yandex revokes only tokens issued for a device id, so each connection gets one.
    device_id text,
    status text NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'needs_reconnect')),
    connected_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz,
    last_used_at timestamptz,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, user_id, provider),
    -- A member who leaves the company takes their connections (and tokens) with them.
    FOREIGN KEY (company_id, user_id) REFERENCES memberships (company_id, user_id) ON DELETE CASCADE
);

ALTER TABLE integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE integrations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON integrations
    USING (company_id = NULLIF(current_setting('oag.company_id', true), '')::uuid);
CREATE POLICY migrator_access ON integrations TO CURRENT_USER USING (true) WITH CHECK (true);

-- Authorization requests in flight (RFC 9700): single use, bound to the browser that started
-- them, remembered with their provider, gone after ten minutes. Not tenant data: sign-in
-- starts before anyone is known. Only the state's SHA-256 is kept.
CREATE TABLE oauth_states (
    state_hash bytea PRIMARY KEY,
    binding_hash bytea NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('connect', 'sign_in', 'link')),
    provider text NOT NULL,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    target_company_id uuid REFERENCES companies (id) ON DELETE CASCADE,
    code_verifier text NOT NULL DEFAULT '',
    requested_scopes text[] NOT NULL DEFAULT '{}',
    device_id text,
    -- For 'link': the provider account waiting for its owner to confirm with a password.
    subject text,
    email text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
CREATE INDEX oauth_states_binding ON oauth_states (binding_hash, purpose);

-- Provider accounts that sign a user in (sign-in with Google or GitHub).
CREATE TABLE external_identities (
    provider text NOT NULL CHECK (provider IN ('google', 'github')),
    subject text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email text NOT NULL,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject),
    UNIQUE (user_id, provider)
);
