-- Published versions of the privacy policy. Not tenant data: one policy for the platform.
-- Rendered HTML is stored with the Markdown so that pages never render per request.
CREATE TABLE policy_versions (
    version integer PRIMARY KEY CHECK (version > 0),
    published_at timestamptz NOT NULL DEFAULT now(),
    markdown text NOT NULL,
    html text NOT NULL,
    headings jsonb NOT NULL DEFAULT '[]',
    significant boolean NOT NULL DEFAULT false
);
