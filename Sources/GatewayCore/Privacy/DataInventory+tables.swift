extension DataInventory {
    /// Every table with personal data, in the order a deletion visits them (children first).
    public static let tables: [InventoryTable] = [
        InventoryTable(
            "thread_messages", category: .threads, scope: .tenant, describes: "the messages of your conversation threads",
            rowsOfPerson: "company_id = $3 AND thread_id IN (SELECT id FROM threads WHERE company_id = $3 AND user_id = $1)",
            order: .keyset([("thread_id", "uuid"), ("created_at", "timestamptz"), ("id", "uuid")]),
            columns: [
                PersonalColumn("thread_id", holds: "the thread it belongs to"),
                PersonalColumn("role", holds: "who wrote it: you or the model"),
                PersonalColumn("content", holds: "what you wrote and what the model answered (encrypted at rest)", export: .opened),
                PersonalColumn("model", holds: "the model that answered"),
                PersonalColumn("prompt_tokens", holds: "tokens sent"),
                PersonalColumn("completion_tokens", holds: "tokens received"),
                PersonalColumn("created_at", holds: "when"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "threads", category: .threads, scope: .tenant, describes: "your conversation threads: their titles and models",
            rowsOfPerson: "company_id = $3 AND user_id = $1",
            columns: [
                PersonalColumn("company_id", holds: "the company it belongs to"),
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("title", holds: "the title you gave it"),
                PersonalColumn("model", holds: "the model it uses"),
                PersonalColumn("created_at", holds: "when it started"),
                PersonalColumn("updated_at", holds: "when it last changed"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "integrations", category: .connectedServices, scope: .tenant,
            describes:
                "your connected services: the provider, your account name there, the scopes you granted, and the OAuth tokens, encrypted",
            rowsOfPerson: "company_id = $3 AND user_id = $1",
            columns: [
                PersonalColumn("company_id", holds: "the company it is connected in"),
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("provider", holds: "the service"),
                PersonalColumn("account_id", holds: "your account id at the service"),
                PersonalColumn("account_label", holds: "your account name or email at the service"),
                PersonalColumn("scopes", holds: "the permissions you granted"),
                PersonalColumn("access_token", holds: "the access token", export: .omitted(because: "a secret")),
                PersonalColumn("refresh_token", holds: "the refresh token", export: .omitted(because: "a secret")),
                PersonalColumn(
                    "device_id", holds: "the device id the service revokes by", export: .omitted(because: "a revocation handle")),
                PersonalColumn("status", holds: "whether it works"),
                PersonalColumn("connected_at", holds: "when you connected it"),
                PersonalColumn("access_expires_at", holds: "when the access token expires"),
                PersonalColumn("last_used_at", holds: "when it was last used"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "usage_daily", category: .usage, scope: .tenant, describes: "daily totals of your usage per model and API key",
            rowsOfPerson: "company_id = $3 AND user_id = $1", idColumn: nil, order: .offset(orderBy: "day, model, api_key_id"),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("day", holds: "the day"),
                PersonalColumn("model", holds: "the model"),
                PersonalColumn("provider", holds: "the model's provider"),
                PersonalColumn("api_key_id", holds: "the API key used, if any"),
                PersonalColumn("requests", holds: "requests"),
                PersonalColumn("failed_requests", holds: "requests that failed"),
                PersonalColumn("prompt_tokens", holds: "tokens sent"),
                PersonalColumn("completion_tokens", holds: "tokens received"),
                PersonalColumn("cost_micros", holds: "cost in millionths of a dollar"),
            ],
            deletion: .anonymise(
                statements: [
                    """
                    INSERT INTO usage_daily AS d (company_id, day, user_id, api_key_id, model, provider, requests, failed_requests,
                        prompt_tokens, completion_tokens, cost_micros)
                    SELECT company_id, day, NULL, api_key_id, model, provider, requests, failed_requests, prompt_tokens,
                        completion_tokens, cost_micros
                    FROM usage_daily WHERE company_id = $3 AND user_id = $1
                    ON CONFLICT ON CONSTRAINT usage_daily_key DO UPDATE SET
                        requests = d.requests + EXCLUDED.requests, failed_requests = d.failed_requests + EXCLUDED.failed_requests,
                        prompt_tokens = d.prompt_tokens + EXCLUDED.prompt_tokens,
                        completion_tokens = d.completion_tokens + EXCLUDED.completion_tokens,
                        cost_micros = d.cost_micros + EXCLUDED.cost_micros
                    """,
                    "DELETE FROM usage_daily WHERE company_id = $3 AND user_id = $1",
                ],
                why: "the company's billing totals stay correct; they no longer say who")),
        InventoryTable(
            "usage_events", category: .usage, scope: .tenant,
            describes: "a record of each AI request: its time, model, token counts, cost and outcome",
            rowsOfPerson: "company_id = $3 AND user_id = $1", order: .keyset([("occurred_at", "timestamptz"), ("id", "uuid")]),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("occurred_at", holds: "when"),
                PersonalColumn("model", holds: "the model"),
                PersonalColumn("provider", holds: "the model's provider"),
                PersonalColumn("api_key_id", holds: "the API key used, if any"),
                PersonalColumn("thread_id", holds: "the thread it belonged to, if any"),
                PersonalColumn("prompt_tokens", holds: "tokens sent"),
                PersonalColumn("completion_tokens", holds: "tokens received"),
                PersonalColumn("cost_micros", holds: "cost in millionths of a dollar"),
                PersonalColumn("latency_ms", holds: "how long it took"),
                PersonalColumn("status", holds: "the outcome"),
            ],
            deletion: .anonymise(
                statements: ["UPDATE usage_events SET user_id = NULL, thread_id = NULL WHERE company_id = $3 AND user_id = $1"],
                why: "the company's billing record; kept with your identity removed")),
        InventoryTable(
            "api_keys", category: .usage, scope: .tenant, describes: "which gateway API keys you created",
            rowsOfPerson: "company_id = $3 AND created_by = $1",
            columns: [
                PersonalColumn("created_by", holds: "you, as the key's maker"),
                PersonalColumn("name", holds: "the key's name"),
                PersonalColumn("prefix", holds: "the key's visible prefix"),
                PersonalColumn("created_at", holds: "when"),
                PersonalColumn("last_used_at", holds: "when it was last used"),
                PersonalColumn("revoked_at", holds: "when it was revoked"),
            ],
            deletion: .anonymise(
                statements: ["UPDATE api_keys SET created_by = NULL WHERE company_id = $3 AND created_by = $1"],
                why: "the key belongs to the company's programs; it no longer names its maker")),
        InventoryTable(
            "audit_events", category: .security, scope: .tenant,
            describes: "audit entries of important events you did or that concern you, with the IP address they came from",
            rowsOfPerson: #"company_id = $3 AND (actor_user_id = $1 OR regexp_split_to_array(detail, '[\s:,]+') && $2)"#,
            columns: [
                PersonalColumn("actor_user_id", holds: "you, when you did it"),
                PersonalColumn("action", holds: "what happened"),
                PersonalColumn("detail", holds: "details, which may name your email address"),
                PersonalColumn("ip", holds: "the IP address of the request"),
                PersonalColumn("created_at", holds: "when"),
            ],
            deletion: .anonymise(
                statements: [
                    "UPDATE audit_events SET actor_user_id = NULL, ip = NULL WHERE company_id = $3 AND actor_user_id = $1",
                    #"""
                    UPDATE audit_events SET detail = '(a deleted person)', ip = NULL
                    WHERE company_id = $3 AND regexp_split_to_array(detail, '[\s:,]+') && $2
                    """#,
                ],
                why: "the company's security record; kept with your identity removed")),
        InventoryTable(
            "invitations", category: .account, scope: .tenant, describes: "invitations sent to your email address, or sent by you",
            rowsOfPerson: "company_id = $3 AND (email = ANY($2) OR invited_by = $1)",
            columns: [
                PersonalColumn("email", holds: "the invited email address"),
                PersonalColumn("role", holds: "the role offered"),
                PersonalColumn("invited_by", holds: "you, when you sent it"),
                PersonalColumn("token_hash", holds: "the link's hash", export: .omitted(because: "a hash of a one-time link")),
                PersonalColumn("created_at", holds: "when"),
                PersonalColumn("expires_at", holds: "when it expires"),
                PersonalColumn("accepted_at", holds: "when it was accepted"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "outbox", category: .messages, scope: .tenant, describes: "emails addressed to you, such as invitations",
            rowsOfPerson: "company_id = $3 AND recipient = ANY($2)",
            columns: [
                PersonalColumn("recipient", holds: "your email address"),
                PersonalColumn("subject", holds: "the subject"),
                PersonalColumn("sealed_body", holds: "the message", export: .omitted(because: "it carries one-time links")),
                PersonalColumn("created_at", holds: "when"),
                PersonalColumn("sent_at", holds: "when it was sent"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "memberships", category: .account, scope: .tenant, describes: "the companies you belong to and your role in each",
            rowsOfPerson: "company_id = $3 AND user_id = $1", idColumn: nil, order: .offset(orderBy: "company_id"),
            columns: [
                PersonalColumn("company_id", holds: "the company"),
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("role", holds: "your role"),
                PersonalColumn("joined_at", holds: "when you joined"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "sessions", category: .security, scope: .platform, describes: "your signed-in sessions, with the IP address they started from",
            rowsOfPerson: "user_id = $1", idColumn: nil, order: .offset(orderBy: "created_at, token_hash"),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("token_hash", holds: "the session's hash", export: .omitted(because: "a hash of a secret")),
                PersonalColumn("csrf_token", holds: "the forms' token", export: .omitted(because: "a secret")),
                PersonalColumn("ip", holds: "the IP address it started from"),
                PersonalColumn("created_at", holds: "when it started"),
                PersonalColumn("last_seen_at", holds: "when it was last used"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "login_failures", category: .security, scope: .platform,
            describes: "failed sign-ins to your email, kept as a hash for 15 minutes to slow down password guessing",
            rowsOfPerson: "subject_hash IN (SELECT decode(h, 'hex') FROM unnest($4) AS h)", idColumn: nil, order: .offset(orderBy: "id"),
            columns: [
                PersonalColumn("subject_hash", holds: "a hash of your email", export: .omitted(because: "a hash")),
                PersonalColumn("occurred_at", holds: "when"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "oauth_states", category: .connectedServices, scope: .platform,
            describes: "connections and sign-ins with a provider that you started in the last 10 minutes",
            rowsOfPerson: "user_id = $1 OR email = ANY($2)", idColumn: nil, order: .offset(orderBy: "state_hash"),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("provider", holds: "the service"),
                PersonalColumn("purpose", holds: "connect or sign in"),
                PersonalColumn("subject", holds: "your account id at the service, while you link it"),
                PersonalColumn("email", holds: "your email at the service, while you link it"),
                PersonalColumn("state_hash", holds: "the request's hash", export: .omitted(because: "a hash of a secret")),
                PersonalColumn("binding_hash", holds: "the browser binding's hash", export: .omitted(because: "a hash of a secret")),
                PersonalColumn("code_verifier", holds: "the PKCE verifier", export: .omitted(because: "a secret")),
                PersonalColumn("device_id", holds: "the device id", export: .omitted(because: "a revocation handle")),
                PersonalColumn("created_at", holds: "when"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "external_identities", category: .account, scope: .platform,
            describes: "the Google or GitHub account you sign in with: its id there and the email it reported",
            rowsOfPerson: "user_id = $1", idColumn: nil, order: .offset(orderBy: "provider"),
            columns: [
                PersonalColumn("provider", holds: "the service"),
                PersonalColumn("subject", holds: "your account id there"),
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("email", holds: "the email it reported"),
                PersonalColumn("linked_at", holds: "when"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "email_changes", category: .account, scope: .platform,
            describes: "a new sign-in email you asked for, until you confirm it by the link we mail to it",
            rowsOfPerson: "user_id = $1", idColumn: nil, order: .offset(orderBy: "user_id"),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("new_email", holds: "the new email address"),
                PersonalColumn("token_hash", holds: "the link's hash", export: .omitted(because: "a hash of a one-time link")),
                PersonalColumn("created_at", holds: "when you asked"),
                PersonalColumn("expires_at", holds: "when the link stops working"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "former_emails", category: .account, scope: .platform,
            describes: "the email addresses you signed in with before you changed it, so that a deletion finds them in earlier records",
            rowsOfPerson: "user_id = $1", idColumn: nil, order: .offset(orderBy: "replaced_at"),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("email", holds: "an address you used before"),
                PersonalColumn("replaced_at", holds: "when you changed it"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "deletion_requests", category: .privacy, scope: .platform,
            describes: "the deletion requests you filed, with the reason you gave",
            rowsOfPerson: "requester_id = $1",
            columns: [
                PersonalColumn("requester_id", holds: "you"),
                PersonalColumn("filed_in_company_id", holds: "the company you filed it in"),
                PersonalColumn("scope", holds: "what it deletes"),
                PersonalColumn("reason", holds: "the reason you gave"),
                PersonalColumn("status", holds: "where it stands"),
                PersonalColumn("filed_at", holds: "when you filed it"),
                PersonalColumn("decided_at", holds: "when an operator decided"),
                PersonalColumn("rejection_reason", holds: "why it was rejected"),
                PersonalColumn("completed_at", holds: "when it was carried out"),
                PersonalColumn("receipt", holds: "its receipt"),
                PersonalColumn("decided_by", holds: "the operator who decided", export: .omitted(because: "another person")),
                PersonalColumn("receipt_token_hash", holds: "the receipt link's hash", export: .omitted(because: "a hash of a secret")),
            ],
            deletion: .anonymise(
                statements: [
                    // Other requests still waiting would otherwise be left for an operator to approve for nobody.
                    "UPDATE deletion_requests SET status = 'cancelled', decided_at = now() WHERE requester_id = $1 AND status = 'pending'",
                    "UPDATE deletion_requests SET reason = '', requester_id = NULL WHERE requester_id = $1",
                ],
                why: "a record that the request was carried out, with its receipt; it no longer names you")),
        InventoryTable(
            "policy_acknowledgements", category: .privacy, scope: .platform,
            describes: "which versions of this privacy policy you acknowledged, and when",
            rowsOfPerson: "user_id = $1", idColumn: nil, order: .offset(orderBy: "version"),
            columns: [
                PersonalColumn("user_id", holds: "you"),
                PersonalColumn("version", holds: "the policy version"),
                PersonalColumn("acknowledged_at", holds: "when you acknowledged it"),
            ],
            deletion: .deleteRows),
        InventoryTable(
            "policy_versions", category: .operatorActions, scope: .platform,
            describes: "which versions of the privacy policy you published",
            rowsOfPerson: "published_by = $1", idColumn: nil, order: .offset(orderBy: "version"),
            columns: [
                PersonalColumn("published_by", holds: "you, as the operator who published it"),
                PersonalColumn("version", holds: "the version"),
                PersonalColumn("published_at", holds: "when"),
                PersonalColumn("summary", holds: "the summary of changes you wrote"),
            ],
            deletion: .anonymise(
                statements: ["UPDATE policy_versions SET published_by = NULL WHERE published_by = $1"],
                why: "the public history of the policy; it no longer names you")),
        InventoryTable(
            "price_versions", category: .operatorActions, scope: .platform,
            describes: "which model price changes you made",
            rowsOfPerson: "changed_by = $1", idColumn: nil, order: .offset(orderBy: "id"),
            columns: [
                PersonalColumn("changed_by", holds: "you, as the operator who changed a price"),
                PersonalColumn("model", holds: "the model"),
                PersonalColumn("changed_at", holds: "when"),
            ],
            deletion: .anonymise(
                statements: ["UPDATE price_versions SET changed_by = NULL WHERE changed_by = $1"],
                why: "the price history of every statement; it no longer names you")),
        InventoryTable(
            "users", category: .account, scope: .platform,
            describes: "your account: email address, name, and your password as a salted bcrypt hash",
            rowsOfPerson: "id = $1",
            columns: [
                PersonalColumn("id", holds: "your account id"),
                PersonalColumn("email", holds: "your email address"),
                PersonalColumn("name", holds: "your name"),
                PersonalColumn("password_hash", holds: "your password's bcrypt hash", export: .omitted(because: "a password hash")),
                PersonalColumn("is_operator", holds: "whether you operate the platform"),
                PersonalColumn("created_at", holds: "when you signed up"),
                PersonalColumn("password_changed_at", holds: "when you last changed your password"),
            ],
            deletion: .deleteRows),
    ]

    /// Columns whose names look personal but hold none of a person's data.
    public static let notPersonal: [NotPersonalColumn] = [
        NotPersonalColumn("companies", "name", because: "the company's name, deleted with the company"),
        NotPersonalColumn("company_keys", "master_key_id", because: "names a key of the platform's key ring"),
        NotPersonalColumn("company_keys", "wrapped_key", because: "the company's data key, wrapped; deleted with the company"),
        NotPersonalColumn("api_keys", "monthly_token_budget", because: "a limit the company sets on a key"),
        NotPersonalColumn("api_keys", "key_hash", because: "a program's credential, hashed; the company's"),
        NotPersonalColumn("provider_settings", "api_key", because: "the company's provider key, sealed"),
        NotPersonalColumn("provider_settings", "key_hint", because: "the last characters of the company's provider key"),
        NotPersonalColumn("rate_limit_windows", "api_key_id", because: "counts requests per key, for a minute"),
        NotPersonalColumn("models", "upstream_name", because: "a model's name at its provider"),
        NotPersonalColumn("schema_migrations", "name", because: "a migration's file name"),
    ]

    public static func table(_ name: String) -> InventoryTable? {
        tables.first { $0.name == name }
    }
}
