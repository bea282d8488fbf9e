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
