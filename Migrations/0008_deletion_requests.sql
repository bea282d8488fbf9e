-- Deletion requests: filed by a person in the console, decided by a platform operator, carried out
-- by a background job that any node may resume (the lease), and closed with a receipt.
--
-- Platform rows, not tenant rows: the operators' queue crosses companies, and a request outlives
-- the account or company it deletes. Once carried out it keeps no personal data: the requester
-- and the reason are removed, the receipt holds only counts.
CREATE TABLE deletion_requests (
    id uuid PRIMARY KEY,
    requester_id uuid REFERENCES users (id) ON DELETE SET NULL,
    -- The company it was filed in: its admins see it, and a company-scope request deletes it
    -- (the job keeps the id in its progress, as this column is cleared when the company goes).
    -- Not named company_id: these are platform rows, not a tenant's.
    filed_in_company_id uuid REFERENCES companies (id) ON DELETE SET NULL,
    scope text NOT NULL CHECK (scope IN ('account', 'threads', 'company')),
    reason text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'running', 'completed', 'rejected', 'cancelled')),
    filed_at timestamptz NOT NULL DEFAULT now(),
    decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at timestamptz,
    rejection_reason text,
    -- The node carrying it out holds it until then; an expired lease means that node died.
    -- Each claim gets a new claim id, and a step commits only under the claim it was made in,
    -- so a node that lost its lease cannot write over the one that took the request over.
    lease_until timestamptz,
    claim_id uuid,
    -- Steps done and what they removed, written with each step: a resumed job neither repeats
    -- a step nor loses its counts.
    progress jsonb NOT NULL DEFAULT '{"steps": [], "counts": {}}',
    completed_at timestamptz,
    receipt jsonb,
    -- Opens the receipt without signing in, for someone whose account is gone.
    receipt_token_hash bytea NOT NULL UNIQUE
);
CREATE INDEX deletion_requests_by_requester ON deletion_requests (requester_id, filed_at DESC);
CREATE INDEX deletion_requests_by_company ON deletion_requests (filed_in_company_id, filed_at DESC);
CREATE INDEX deletion_requests_open ON deletion_requests (status, filed_at) WHERE status IN ('pending', 'approved', 'running');
-- One open request per person and scope.
CREATE UNIQUE INDEX deletion_requests_one_open ON deletion_requests (requester_id, scope)
    WHERE status IN ('pending', 'approved', 'running');

