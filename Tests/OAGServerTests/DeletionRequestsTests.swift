import Foundation
import GatewayCore
import HummingbirdTesting
import OAGServer
import PostgresNIO
import TestSupport
import Testing
import WebConsole

/// The fake LLM providers and the fake OAuth providers together, with the `World` seeded.
func withPrivacyWorld(
    configure: @escaping @Sendable (inout AppConfig) -> Void = { _ in },
    _ test: @Sendable (FakeOAuthServer, FakeLLMUpstream, World, TestData, any TestClientProtocol) async throws -> Void
) async throws {
    let oauth = try await FakeOAuthServer.start()
    do {
        try await withGateway(configure: { config in
            config.providers = oauth.providerSettings
            config.outboundTimeout = .seconds(2)
            config.deletionJobInterval = .milliseconds(100)
            configure(&config)
        }) { llm, world, data, client in
            try await test(oauth, llm, world, data, client)
        }
    } catch {
        await oauth.shutdown()
        throw error
    }
    await oauth.shutdown()
}

extension TestData {
    /// Waits (at most ten seconds) until the request has left the queue; returns its status.
    func deletionOutcome(_ id: UUID) async throws -> String {
        for _ in 0..<200 {
            let status = try await rows("SELECT status FROM deletion_requests WHERE id = \(id)").first?.decode(String.self)
            if let status, !["pending", "approved", "running"].contains(status) { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        return "still open"
    }

    /// Rows anywhere in the database whose text holds `needle`, by table.
    func tablesHolding(_ needle: String) async throws -> [String] {
        let tables = try await rows(
            """
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """
        ).map { try $0.decode(String.self) }
        var holding: [String] = []
        for table in tables {
            let found = try await rows(
                PostgresQuery(
                    unsafeSQL: "SELECT count(*)::int FROM \(table) t WHERE strpos(lower(t::text), lower($1)) > 0", binds: binds(needle))
            ).first!.decode(Int.self)
            if found > 0 { holding.append(table) }
        }
        return holding
    }

    private func binds(_ text: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(text)
        return binds
    }
}

@Suite("Deletion requests")
struct DeletionRequestsTests {
    /// Files a request through the form; returns its id and the receipt link's path.
    static func file(_ browser: Browser, scope: String, reason: String = "") async throws -> (UUID, String) {
        let filed = try await browser.post(
            "/account/deletion-requests", ["scope": scope, "reason": reason], tokenFrom: "/account/deletion-requests")
        try #require(filed.status == .created, "\(filed.status): \(filed.text.prefix(600))")
        let link = try #require(filed.text.firstMatch(of: /http:\/\/[^"]+(\/deletion-receipts\/[A-Za-z0-9_-]{43})/)?.1)
        let page = try await browser.get("/account/deletion-requests").text
        let id = try #require(page.firstMatch(of: /\/account\/deletion-requests\/([0-9a-f-]{36})\/cancel/)?.1)
        return (try #require(UUID(uuidString: String(id))), String(link))
    }

    static func approve(_ id: UUID, world: World, client: some TestClientProtocol) async throws {
        let operatorBrowser = Browser(client)
        try await world.signIn(operatorBrowser, as: .platformOperator)
        let approved = try await operatorBrowser.post(
            "/admin/deletion-requests/\(id.uuidString.lowercased())/approve", tokenFrom: "/admin/deletion-requests")
        try #require(approved.status == .seeOther, "\(approved.status): \(approved.text.prefix(400))")
    }

    @Test func anAccountDeletionLeavesNothingOfThePersonAndRevokesTheirTokens() async throws {
        try await withPrivacyWorld { oauth, llm, world, data, client in
            llm.setReply("Zebras answer first.")
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let attempt = try await member.connect(.github, on: oauth)
            #expect(attempt.callback.status == .seeOther)
            let thread = try await ThreadsTests.start(member, title: "Giraffe project")
            #expect(try await member.post(thread + "/messages", ["content": "My plan about okapis"], tokenFrom: thread).status == .seeOther)
            try await data.apiKey(company: world.companyA, name: "Member's bot", createdBy: world.member)
            _ = try await data.usageEvents(1, where: "user_id = '\(world.member.uuidString)'")
            let eventsBefore = try await data.count("usage_events")
            let email = world.email(world.member)

            let (id, receiptLink) = try await Self.file(member, scope: "account", reason: "Leaving for good")
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let companyView = try await admin.get("/company/deletion-requests").text
            #expect(companyView.contains("Mona Member") && companyView.contains("Leaving for good"))
            #expect(try await member.get("/account/deletion-requests").text.contains("Waiting for review"))

            try await Self.approve(id, world: world, client: client)
            #expect(try await data.deletionOutcome(id) == "completed")

            // Nothing of the person in any table: id, email, name, thread title, reason.
            for needle in [world.member.uuidString, email, "Mona Member", "Giraffe project", "Leaving for good"] {
                let holding = try await data.tablesHolding(needle)
                #expect(holding.isEmpty, "\(needle) is still stored in \(holding)")
            }
            #expect(try await data.count("thread_messages") == 0)
            // The token was revoked at the provider before it was deleted.
            #expect(oauth.requests(.github, .revoke).count == 1)
            #expect(oauth.issuedAccessTokens(.github).allSatisfy { !oauth.isLive(accessToken: $0) })
            // Usage stays for the company's billing, without the person.
            #expect(try await data.count("usage_events") == eventsBefore)
            // The company's audit log keeps the decision and what went, in counts that name nobody.
            let audited = try await data.rows(
                "SELECT action, detail FROM audit_events WHERE company_id = \(world.companyA) AND action LIKE 'deletion_%' ORDER BY created_at"
            ).map { try $0.decode((String, String).self) }
            let requestID = id.uuidString.lowercased()
            #expect(audited.map(\.0) == ["deletion_requested", "deletion_approved", "deletion_carried_out"])
            #expect(audited.last?.1.hasPrefix("Request \(requestID) (account): removed ") == true, "\(audited)")
            #expect(
                audited.last.map { $0.1.contains("threads 1") && $0.1.contains("anonymised ") && $0.1.contains("usage_events") } == true)

            // Signed out for good, and cannot sign in again.
            let after = try await member.get("/dashboard")
            #expect(after.status == .seeOther && after.location?.hasPrefix("/login") == true)
            let again = try await Browser(client).post("/login", ["email": email, "password": World.password])
            #expect(again.status == .unauthorized)

            // The receipt opens with its link, counts what went and names nobody.
            let receipt = try await Browser(client).get(receiptLink)
            #expect(receipt.status == .ok)
            #expect(receipt.headers[.contentType]?.hasPrefix("application/json") == true)
            let json = try JSONValue.decode(Data(receipt.text.utf8))
            #expect(json["accounts_deleted"]?.number == 1)
            #expect(json["tokens_revoked_at_providers"]?.number == 1)
            #expect(json["scope"]?.string == "account")
            let removed = json["removed"]?.array ?? []
            #expect(removed.contains { $0["what"]?.string == DataInventory.table("threads")?.describes && $0["count"]?.number == 1 })
            #expect(
                removed.contains { $0["what"]?.string == DataInventory.table("thread_messages")?.describes && $0["count"]?.number == 2 })
            #expect((json["anonymised"]?.array ?? []).contains { $0["what"]?.string == DataInventory.table("usage_events")?.describes })
            #expect(!receipt.text.contains(email) && !receipt.text.contains(world.member.uuidString.lowercased()))
            #expect(try await Browser(client).get("/deletion-receipts/" + String(repeating: "a", count: 43)).status == .notFound)
        }
    }

    @Test func addressesUsedBeforeAnEmailChangeGoToo() async throws {
        let log = LogRecorder()
        try await withWorld(logger: log.logger, configure: { $0.deletionJobInterval = .milliseconds(100) }) { world, data, client in
            let oldEmail = world.email(world.member)
            // A wrong password leaves the old address in the audit log and the sign-in throttle.
            let wrong = try await Browser(client).post("/login", ["email": oldEmail, "password": "not the password at all"])
            #expect(wrong.status == .unauthorized)
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let path = try await AccountEmailTests().requestChange(to: "mona.renamed@world.test", member, log: log)
            #expect(try await member.post(path, tokenFrom: path).status == .seeOther)
            #expect(try await data.count("former_emails", where: "email = '\(oldEmail)'") == 1)

            let (id, _) = try await Self.file(member, scope: "account")
            try await Self.approve(id, world: world, client: client)
            #expect(try await data.deletionOutcome(id) == "completed")
            for needle in [oldEmail, "mona.renamed@world.test", world.member.uuidString] {
                let holding = try await data.tablesHolding(needle)
                #expect(holding.isEmpty, "\(needle) is still stored in \(holding)")
            }
            #expect(try await data.count("login_failures") == 0)
        }
    }

    @Test func aJobCutShortResumesWithoutDoingAnythingTwice() async throws {
        struct Crash: Error {}
        try await withPrivacyWorld(configure: { $0.deletionJobInterval = .seconds(3600) }) { oauth, llm, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            _ = try await member.connect(.gitlab, on: oauth)
            let thread = try await ThreadsTests.start(member)
            #expect(try await member.post(thread + "/messages", ["content": "Hello"], tokenFrom: thread).status == .seeOther)
            let (id, _) = try await Self.file(member, scope: "account")
            try await Self.approve(id, world: world, client: client)

            var config = AppConfig(resourcesDirectory: TestDatabase.repositoryRoot, masterKeys: TestDatabase.masterKeys)
            config.providers = oauth.providerSettings
            try await TestDatabase.withDatabase(on: data.settings) { database, _ in
                let outbound = OutboundHTTP(config: config)
                let services = try await makeConsoleServices(
                    config: config, database: database, outbound: outbound, logger: TestDatabase.logger)
                // The node dies right after its first step commits.
                let dying = DeletionJob(database: database, integrations: services.integrations, lease: .seconds(1)) { _ in throw Crash() }
                await #expect(throws: Crash.self) { try await dying.runNext() }
                #expect(
                    try await data.rows("SELECT status FROM deletion_requests WHERE id = \(id)").first?.decode(String.self) == "running")
                #expect(try await data.count("threads") == 0)
                #expect(try await data.count("users", where: "id = '\(world.member)'") == 1)
                // Another node finds it only once the lease is over.
                let other = DeletionJob(database: database, integrations: services.integrations)
                #expect(try await other.runNext() == false)
                try await Task.sleep(for: .milliseconds(1100))
                #expect(try await other.runNext())
                try await outbound.shutdown()
            }
            #expect(try await data.deletionOutcome(id) == "completed")
            let receipt = try #require(
                try await data.rows("SELECT receipt::text FROM deletion_requests WHERE id = \(id)").first?.decode(String.self))
            let json = try JSONValue.decode(Data(receipt.utf8))
            // Counts of the first step survived the crash; nothing was counted or revoked twice.
            #expect(
                json["removed"]?.array?.first { $0["what"]?.string == DataInventory.table("threads")?.describes }?["count"]?.number == 1)
            #expect(json["tokens_revoked_at_providers"]?.number == 1)
            #expect(oauth.requests(.gitlab, .revoke).count == 1)
            #expect(json["accounts_deleted"]?.number == 1)
            #expect(try await data.count("users", where: "id = '\(world.member)'") == 0)
        }
    }

    @Test func aCompanyDeletionDestroysItsKeySoCopiesOfItsSecretsNoLongerOpen() async throws {
        try await withPrivacyWorld { oauth, _, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            _ = try await member.connect(.github, on: oauth)
            // A "backup" of a sealed token, taken before the company goes.
            let backup = try #require(
                try await data.rows("SELECT id, access_token FROM integrations WHERE company_id = \(world.companyA)").first?.decode(
                    (UUID, Data).self))
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let (id, receiptLink) = try await Self.file(owner, scope: "company", reason: "Closing down")
            try await Self.approve(id, world: world, client: client)
            #expect(try await data.deletionOutcome(id) == "completed")

            #expect(try await data.count("companies", where: "id = '\(world.companyA)'") == 0)
            #expect(try await data.count("company_keys", where: "company_id = '\(world.companyA)'") == 0)
            #expect(try await data.count("usage_events", where: "company_id = '\(world.companyA)'") == 0)
            // Members of no other company lost their accounts; the other company and the operator did not.
            #expect(
                try await data.count("users", where: "id IN ('\(world.owner)', '\(world.admin)', '\(world.member)', '\(world.target)')")
                    == 0)
            #expect(try await data.count("users", where: "id IN ('\(world.otherOwner)', '\(world.platformOperator)')") == 2)
            #expect(try await data.count("companies", where: "id = '\(world.companyB)'") == 1)
            #expect(oauth.requests(.github, .revoke).count == 1)
            // Nothing of the company or of the people who went with it, in any table.
            for person in [world.owner, world.admin, world.member, world.target] {
                for needle in [person.uuidString, world.email(person)] {
                    let holding = try await data.tablesHolding(needle)
                    #expect(holding.isEmpty, "\(needle) is still stored in \(holding)")
                }
            }
            #expect(try await data.tablesHolding(world.companyA.uuidString).isEmpty)

            let vault = Vault(ring: TestDatabase.masterKeys, logger: TestDatabase.logger)
            try await TestDatabase.withDatabase(on: data.settings) { database, _ in
                let location = SecretLocation(table: "integrations", rowID: backup.0.uuidString.lowercased(), column: "access_token")
                await #expect(throws: VaultError.companyKeyMissing) {
                    try await database.withTenant(world.companyA) { connection in
                        _ = try await vault.open(backup.1, at: location, companyID: world.companyA, on: connection)
                    }
                }
            }
            let json = try JSONValue.decode(Data(try await Browser(client).get(receiptLink).text.utf8))
            #expect(json["companies_deleted"]?.number == 1 && json["company_keys_destroyed"]?.number == 1)
            #expect(json["accounts_deleted"]?.number == 4)
        }
    }

    @Test func aCompanyDeletionCutShortStillDeletesItsMembersAccounts() async throws {
        struct Crash: Error {}
        try await withPrivacyWorld(configure: { $0.deletionJobInterval = .seconds(3600) }) { oauth, _, world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let (id, _) = try await Self.file(owner, scope: "company")
            try await Self.approve(id, world: world, client: client)
            var config = AppConfig(resourcesDirectory: TestDatabase.repositoryRoot, masterKeys: TestDatabase.masterKeys)
            config.providers = oauth.providerSettings
            try await TestDatabase.withDatabase(on: data.settings) { database, _ in
                let outbound = OutboundHTTP(config: config)
                let services = try await makeConsoleServices(
                    config: config, database: database, outbound: outbound, logger: TestDatabase.logger)
                // The node dies just after the company row is gone (and with it the request's link to it).
                let dying = DeletionJob(database: database, integrations: services.integrations, lease: .milliseconds(500)) { step in
                    if step.hasPrefix("company:") { throw Crash() }
                }
                await #expect(throws: Crash.self) { try await dying.runNext() }
                #expect(try await data.count("companies", where: "id = '\(world.companyA)'") == 0)
                #expect(try await data.count("users", where: "id = '\(world.member)'") == 1)
                try await Task.sleep(for: .milliseconds(600))
                #expect(try await DeletionJob(database: database, integrations: services.integrations).runNext())
                try await outbound.shutdown()
            }
            #expect(try await data.deletionOutcome(id) == "completed")
            #expect(
                try await data.count("users", where: "id IN ('\(world.owner)', '\(world.admin)', '\(world.member)', '\(world.target)')")
                    == 0)
            let receipt = try #require(
                try await data.rows("SELECT receipt::text FROM deletion_requests WHERE id = \(id)").first?.decode(String.self))
            let json = try JSONValue.decode(Data(receipt.utf8))
            #expect(json["companies_deleted"]?.number == 1 && json["accounts_deleted"]?.number == 4)
        }
    }

    @Test func aPersonWhoLeftACompanyIsFoundThereToo() async throws {
        try await withPrivacyWorld { _, _, world, data, client in
            let email = world.email(world.target)
            // Traces of Tess in company A: usage (no foreign key to memberships) and an audit entry naming her.
            try await data.rows(
                """
                INSERT INTO usage_events (company_id, id, occurred_at, user_id, provider, model, prompt_tokens, completion_tokens,
                    cost_micros, latency_ms, status)
                VALUES (\(world.companyA), \(UUID()), now(), \(world.target), 'openai', 'gpt-4o', 10, 5, 1, 100, 200)
                """)
            try await data.rows(
                """
                INSERT INTO usage_daily (company_id, day, user_id, model, provider, requests, failed_requests, prompt_tokens,
                    completion_tokens, cost_micros)
                VALUES (\(world.companyA), current_date, \(world.target), 'gpt-4o', 'openai', 1, 0, 10, 5, 1)
                """)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            #expect(try await admin.post(SitePaths.memberRemoval(world.target), tokenFrom: "/company/members").status == .seeOther)
            #expect(try await data.count("audit_events", where: "detail = '\(email)'") == 1)

            let target = Browser(client)
            let signedIn = try await target.post("/login", ["email": email, "password": World.password])
            #expect(signedIn.status == .seeOther)
            let export = try await target.get("/account/export").text
            #expect(export.contains(#""prompt_tokens" : 10"#), "usage in a company she left is hers to see")
            let (id, _) = try await Self.file(target, scope: "account")
            try await Self.approve(id, world: world, client: client)
            #expect(try await data.deletionOutcome(id) == "completed")
            for needle in [world.target.uuidString, email] {
                let holding = try await data.tablesHolding(needle)
                #expect(holding.isEmpty, "\(needle) is still stored in \(holding)")
            }
            #expect(try await data.count("usage_events", where: "company_id = '\(world.companyA)' AND prompt_tokens = 10") == 1)
        }
    }

    @Test func theLastOwnerMustHandOverFirstAndASoleOwnerTakesTheirCompany() async throws {
        try await withPrivacyWorld { _, _, world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let form = try await owner.get("/account/deletion-requests").text
            #expect(form.contains("You are the last owner of Company A, which has other members"), "the page says so before they try")
            let refused = try await owner.post(
                "/account/deletion-requests", ["scope": "account"], tokenFrom: "/account/deletion-requests")
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("You are the last owner of Company A, which has other members"))
            #expect(try await data.count("deletion_requests") == 0)

            let soleOwner = Browser(client)
            try await world.signIn(soleOwner, as: .otherOwner)
            #expect(!(try await soleOwner.get("/account/deletion-requests").text.contains("You are the last owner")))
            let (id, _) = try await Self.file(soleOwner, scope: "account")
            try await Self.approve(id, world: world, client: client)
            #expect(try await data.deletionOutcome(id) == "completed")
            #expect(try await data.count("companies", where: "id = '\(world.companyB)'") == 0)
            #expect(try await data.count("users", where: "id = '\(world.otherOwner)'") == 0)
            #expect(try await data.count("companies", where: "id = '\(world.companyA)'") == 1)
        }
    }

    @Test func threadsOnlyKeepsTheAccount() async throws {
        try await withPrivacyWorld { _, _, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let thread = try await ThreadsTests.start(member, title: "Delete me")
            #expect(try await member.post(thread + "/messages", ["content": "Hello"], tokenFrom: thread).status == .seeOther)
            let (id, _) = try await Self.file(member, scope: "threads", reason: "Tidying up")
            try await Self.approve(id, world: world, client: client)
            #expect(try await data.deletionOutcome(id) == "completed")
            #expect(try await data.count("threads") == 0)
            #expect(try await data.count("thread_messages") == 0)
            let audited = try await data.rows(
                "SELECT detail FROM audit_events WHERE company_id = \(world.companyA) AND action = 'deletion_carried_out'"
            ).map { try $0.decode(String.self) }
            #expect(audited == ["Request \(id.uuidString.lowercased()) (threads): removed thread_messages 2, threads 1"])
            let page = try await member.get("/account/deletion-requests")
            #expect(page.status == .ok && page.text.contains("Carried out") && page.text.contains("Download receipt"))
            let receipt = try await member.get("/account/deletion-requests/\(id.uuidString.lowercased())/receipt")
            #expect(receipt.status == .ok && receipt.text.contains("\"threads\""))
            // Someone else's receipt is not found.
            let other = Browser(client)
            try await world.signIn(other, as: .admin)
            #expect(try await other.get("/account/deletion-requests/\(id.uuidString.lowercased())/receipt").status == .notFound)
        }
    }

    @Test func filingValidationCancellingAndRejecting() async throws {
        try await withWorld { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let empty = try await member.get("/account/deletion-requests")
            #expect(empty.text.contains("You have not filed any deletion request"))
            #expect(!empty.text.contains("value=\"company\""))

            for (fields, message) in [
                (["scope": "everything"], "Choose what to delete."),
                (["scope": "company"], "Only an owner can ask to delete the whole company."),
                (["scope": "threads", "reason": String(repeating: "x", count: 1001)], "Use at most 1000 characters."),
            ] {
                let refused = try await member.post("/account/deletion-requests", fields, tokenFrom: "/account/deletion-requests")
                #expect(refused.status == .unprocessableContent)
                #expect(refused.text.contains(message))
            }
            #expect(try await data.count("deletion_requests") == 0)

            let (first, _) = try await Self.file(member, scope: "threads", reason: "<script>alert(1)</script>")
            let page = try await member.get("/account/deletion-requests").text
            #expect(!page.contains("<script>alert(1)</script>") && page.contains("&lt;script&gt;"))
            let duplicate = try await member.post(
                "/account/deletion-requests", ["scope": "threads"], tokenFrom: "/account/deletion-requests")
            #expect(duplicate.status == .unprocessableContent && duplicate.text.contains("You already have an open request of this kind"))

            let cancelled = try await member.post(
                "/account/deletion-requests/\(first.uuidString.lowercased())/cancel", tokenFrom: "/account/deletion-requests")
            #expect(cancelled.status == .seeOther)
            #expect(
                try await data.rows("SELECT status FROM deletion_requests WHERE id = \(first)").first?.decode(String.self) == "cancelled")
            // Cancelling twice, or someone else's request, finds nothing.
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            #expect(
                try await admin.post(
                    "/account/deletion-requests/\(first.uuidString.lowercased())/cancel", tokenFrom: "/account/deletion-requests"
                )
                .status == .notFound)

            let (second, _) = try await Self.file(member, scope: "account", reason: "Please")
            let operatorBrowser = Browser(client)
            try await world.signIn(operatorBrowser, as: .platformOperator)
            let queue = try await operatorBrowser.get("/admin/deletion-requests").text
            #expect(queue.contains("Mona Member") && queue.contains("Company A"))
            let path = "/admin/deletion-requests/\(second.uuidString.lowercased())/reject"
            let noReason = try await operatorBrowser.post(path, ["reason": " "], tokenFrom: "/admin/deletion-requests")
            #expect(noReason.status == .unprocessableContent && noReason.text.contains("Say why"))
            let rejected = try await operatorBrowser.post(
                path, ["reason": "Your company's contract needs you"], tokenFrom: "/admin/deletion-requests")
            #expect(rejected.status == .seeOther)
            let seen = try await member.get("/account/deletion-requests").text
            #expect(seen.contains("Rejected") && seen.contains("Your company&#39;s contract needs you"))
            #expect(try await data.count("users", where: "id = '\(world.member)'") == 1)
            #expect(
                try await data.count(
                    "audit_events",
                    where: "action = 'deletion_rejected' AND actor_user_id = '\(world.platformOperator)' AND detail LIKE '%(account)'") == 1
            )
            // A decided request cannot be approved any more.
            #expect(
                try await operatorBrowser.post(
                    "/admin/deletion-requests/\(second.uuidString.lowercased())/approve", tokenFrom: "/admin/deletion-requests"
                ).status == .notFound)
        }
    }
}
