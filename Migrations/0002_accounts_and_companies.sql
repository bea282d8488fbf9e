-- Accounts, companies, members, invitations, sessions, sign-in throttling, audit log, outbox.
--
-- Tenant tables carry company_id in their primary key and are guarded by row-level
-- security on the transaction-local setting oag.company_id (SET LOCAL per request).
-- The role that runs migrations (the owner) keeps full access through its own policy,
-- which is what the few SECURITY DEFINER functions below rely on; the app role has
-- only the tenant policy, so a query that forgets its company filter sees nothing
-- of other companies.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    is_operator boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_unique ON users (email);

CREATE TABLE companies (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invitations (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    email text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    token_hash bytea NOT NULL UNIQUE,
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    PRIMARY KEY (company_id, id)
);

-- A user's signed-in sessions. Not tenant data: the active company is chosen per session.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active_company_id uuid REFERENCES companies (id) ON DELETE SET NULL,
    csrf_token text NOT NULL,
    ip inet,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed sign-ins per hashed email and per client address, counted across app nodes.
CREATE TABLE login_failures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_hash bytea NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_recent ON login_failures (subject_hash, occurred_at);

CREATE TABLE audit_events (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    action text NOT NULL,
    detail text NOT NULL DEFAULT '',
    ip inet,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id)
);
CREATE INDEX audit_events_recent ON audit_events (company_id, created_at DESC, id);

-- Messages for a future mailer; development writes invitation links to the log instead.
-- Bodies carry one-time links, so they are sealed by the vault (see 0003_company_keys.sql).
CREATE TABLE outbox (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    sealed_body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    PRIMARY KEY (company_id, id)
);

ALTER TABLE companies ENABLE ROW LEVEL SECURITY;
ALTER TABLE companies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON companies
    USING (id = NULLIF(current_setting('oag.company_id', true), '')::uuid);
CREATE POLICY migrator_access ON companies TO CURRENT_USER USING (true) WITH CHECK (true);

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['memberships', 'invitations', 'audit_events', 'outbox'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (company_id = NULLIF(current_setting(''oag.company_id'', true), '''')::uuid)',
            tenant_table);
        EXECUTE format('CREATE POLICY migrator_access ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', tenant_table);
    END LOOP;
END
$$;

-- The few reads that must cross companies, each answering one narrow question.

-- Which companies a user belongs to (sign-in, company switcher).
CREATE FUNCTION user_memberships(p_user_id uuid)
RETURNS TABLE (company_id uuid, company_name text, role text, joined_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.company_id, c.name, m.role, m.joined_at
    FROM memberships m JOIN companies c ON c.id = m.company_id
    WHERE m.user_id = p_user_id
    ORDER BY m.joined_at, c.name
$$;

-- Which company an invitation link belongs to, so that the rest runs inside that tenant.
CREATE FUNCTION invitation_company(p_token_hash bytea)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT company_id FROM invitations WHERE token_hash = p_token_hash
$$;

-- The operator console's list of companies: names and sizes, no member data.
CREATE FUNCTION platform_companies()
RETURNS TABLE (company_id uuid, company_name text, created_at timestamptz, member_count bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.id, c.name, c.created_at, (SELECT count(*) FROM memberships m WHERE m.company_id = c.id)
    FROM companies c
    ORDER BY c.created_at DESC
$$;

REVOKE ALL ON FUNCTION platform_companies() FROM PUBLIC;
REVOKE ALL ON FUNCTION user_memberships(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION invitation_company(bytea) FROM PUBLIC;
