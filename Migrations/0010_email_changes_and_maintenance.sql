-- Changes of sign-in email waiting for confirmation, and the runs of the maintenance job.

-- A user's pending change of sign-in email, confirmed by a one-time link sent to the new
-- address. One per user: a new request replaces the old one. Only the SHA-256 of the link's
-- token is kept. Not tenant data: accounts belong to the platform, not to one company.
CREATE TABLE email_changes (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    new_email text NOT NULL CHECK (new_email = lower(new_email)),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX email_changes_expiry ON email_changes (expires_at);

-- One row per maintenance pass that ran; a pass skipped because another node held the
-- lock leaves none. `purged` maps each kind of row to how many were removed.
CREATE TABLE maintenance_runs (
    id uuid PRIMARY KEY,
    node text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    purged jsonb NOT NULL DEFAULT '{}',
    error text
);
CREATE INDEX maintenance_runs_recent ON maintenance_runs (started_at DESC, id);

-- Unaccepted invitations of every company whose link expired more than 30 days ago, for the
-- maintenance pass (which has no tenant). Until then the link still says it has expired
-- rather than that it never existed. The period is fixed here so the app cannot widen it.
CREATE FUNCTION purge_expired_invitations()
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH purged AS (
        DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at < now() - interval '30 days' RETURNING 1
    )
    SELECT count(*)::int FROM purged
$$;
REVOKE ALL ON FUNCTION purge_expired_invitations() FROM PUBLIC;

-- Now says how many windows it removed, for the record of the run.
DROP FUNCTION purge_rate_limit_windows();
CREATE FUNCTION purge_rate_limit_windows()
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH purged AS (
        DELETE FROM rate_limit_windows WHERE window_start < now() - interval '5 minutes' RETURNING 1
    )
    SELECT count(*)::int FROM purged
$$;
REVOKE ALL ON FUNCTION purge_rate_limit_windows() FROM PUBLIC;
