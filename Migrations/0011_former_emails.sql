-- The addresses a person signed in with before changing it. Earlier records (audit entries,
-- mail to them, invitations) name those addresses; a deletion must find them too.
-- Kept while the account exists, deleted with it.
CREATE TABLE former_emails (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email)),
    replaced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, email)
);
