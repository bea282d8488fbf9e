-- The addresses a person signed in with before changing it. Earlier records (audit entries,
-- mail to them, invitations) name those addresses; a deletion must find them too.
-- Kept while the account exists, deleted with it.
CREATE TABLE former_emails (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email)),
    replaced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, email)
);

-- The companies holding anything of a person: where they are a member, and where they left
-- traces after leaving (usage, audit entries, mail and invitations to their addresses, keys they
-- made). A deletion and an export visit each of them. Crosses companies, so it answers only this.
CREATE FUNCTION companies_holding_person(p_user_id uuid, p_emails text[])
RETURNS TABLE (company_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT company_id FROM memberships WHERE user_id = p_user_id
    UNION SELECT company_id FROM usage_daily WHERE user_id = p_user_id
    UNION SELECT company_id FROM api_keys WHERE created_by = p_user_id
    UNION SELECT company_id FROM audit_events
        WHERE actor_user_id = p_user_id OR regexp_split_to_array(detail, '[\s:,]+') && p_emails
    UNION SELECT company_id FROM invitations WHERE email = ANY (p_emails) OR invited_by = p_user_id
    UNION SELECT company_id FROM outbox WHERE recipient = ANY (p_emails)
$$;
REVOKE ALL ON FUNCTION companies_holding_person(uuid, text[]) FROM PUBLIC;
