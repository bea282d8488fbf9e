import Foundation
import GatewayCore
import HummingbirdTesting
import PostgresNIO
import TestSupport
import Testing
import WebConsole

/// Connecting, using and disconnecting accounts at the four providers, against a fake that
/// speaks their wire formats.
@Suite("Integrations")
struct IntegrationsTests {
    static let page = "/account/integrations"

    static func action(_ provider: FakeProvider, _ verb: String) -> String { "/account/integrations/\(provider.rawValue)/\(verb)" }

    @Test(arguments: FakeProvider.allCases)
    func connectCheckRefreshDisconnect(_ provider: FakeProvider) async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            fake.setAccount(FakeAccount(id: "4242", email: "mona@\(provider.rawValue).example", name: "Mona M"), for: provider)

            let attempt = try await browser.connect(provider, on: fake)
            #expect(attempt.callback.status == .seeOther)
            #expect(attempt.query("client_id") == fake.clientID)
            #expect(attempt.query("redirect_uri") == "http://localhost:8080/account/integrations/\(provider.rawValue)/callback")
            #expect(attempt.query("code_challenge_method") == "S256")
            #expect(attempt.query("state")?.count == 43)
            if provider == .google {
                #expect(attempt.query("access_type") == "offline")
                #expect(attempt.query("include_granted_scopes") == "true")
            }
            if provider == .yandex { #expect((attempt.query("device_id")?.count ?? 0) >= 6) }

            let exchange = try #require(fake.requests(provider, .token).last)
            #expect(exchange.form["grant_type"] == "authorization_code")
            #expect(exchange.form["code_verifier"] != nil)
            let connected = try await browser.get(Self.page).text
            #expect(connected.contains(#"data-status="\#(provider.rawValue)">Connected"#))
            #expect(connected.contains("mona@\(provider.rawValue).example"))
            #expect(connected.contains("Your account is connected") || connected.contains("The account is connected"))

            let access = try #require(fake.issuedAccessTokens(provider).last)
            let stored = try await data.rows("SELECT access_token, refresh_token, status FROM integrations WHERE user_id = \(world.member)")
            #expect(stored.count == 1)
            let (sealedAccess, _, status) = try stored[0].decode((Data, Data?, String).self)
            #expect(sealedAccess.range(of: Data(access.utf8)) == nil)
            #expect(status == "connected")

            let checked = try await browser.post(Self.action(provider, "check"), tokenFrom: Self.page)
            #expect(checked.status == .seeOther)
            let afterCheck = try await browser.get(Self.page).text
            #expect(afterCheck.contains(#"data-check="\#(provider.rawValue)""#))
            #expect(afterCheck.contains("What \(provider.id.displayName) answered"))
            let userinfo = try #require(fake.requests(provider, .userinfo).last)
            #expect(userinfo.headers["authorization"] == (provider == .yandex ? "OAuth " : "Bearer ") + access)

            if provider != .github {
                // The access token is about to expire: the next use refreshes it first.
                let oldRefresh = try #require(fake.issuedRefreshTokens(provider).last)
                try await data.rows("UPDATE integrations SET access_expires_at = now() WHERE user_id = \(world.member)")
                #expect(try await browser.post(Self.action(provider, "check"), tokenFrom: Self.page).status == .seeOther)
                let refreshes = fake.requests(provider, .token).filter { $0.form["grant_type"] == "refresh_token" }
                #expect(refreshes.map { $0.form["refresh_token"] } == [oldRefresh])
                #expect(
                    fake.requests(provider, .userinfo).last?.headers["authorization"]?.hasSuffix(fake.issuedAccessTokens(provider).last!)
                        == true)
                if provider != .google {
                    // Rotating providers: the stored refresh token is the new one, so refreshing again works.
                    #expect(!fake.isLive(refreshToken: oldRefresh))
                    try await data.rows("UPDATE integrations SET access_expires_at = now() WHERE user_id = \(world.member)")
                    #expect(try await browser.post(Self.action(provider, "check"), tokenFrom: Self.page).status == .seeOther)
                    #expect(fake.requests(provider, .token).filter { $0.form["grant_type"] == "refresh_token" }.count == 2)
                }
            }

            let issued = fake.issuedAccessTokens(provider)
            let disconnected = try await browser.post(Self.action(provider, "disconnect"), tokenFrom: Self.page)
            #expect(disconnected.status == .seeOther)
            #expect(fake.requests(provider, .revoke).count == 1)
            #expect(issued.allSatisfy { !fake.isLive(accessToken: $0) }, "every token of the grant is revoked at the provider")
            #expect(try await data.count("integrations") == 0)
            #expect(try await data.count("audit_events", where: "action = 'integration_disconnected'") == 1)
            let after = try await browser.get(Self.page).text
            #expect(after.contains("access was revoked at the provider"))
            #expect(after.contains(#"data-status="\#(provider.rawValue)">Not connected"#))
            #expect(!after.contains(#"data-check="\#(provider.rawValue)""#), "what was fetched is forgotten on disconnect")
        }
    }

    @Test func stateIsSingleUseBoundToTheBrowserAndExpires() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let first = try await browser.connect(.gitlab, on: fake)
            #expect(first.callback.status == .seeOther)

            let replay = try await browser.get(first.callbackPath)
            #expect(replay.status == .badRequest)
            #expect(replay.text.contains("already used"))

            let unknown = try await browser.get("/account/integrations/gitlab/callback?code=abc&state=\(SecretToken().value)")
            #expect(unknown.status == .badRequest)
            let missing = try await browser.get("/account/integrations/gitlab/callback?code=abc")
            #expect(missing.status == .badRequest)

            // Started in one browser, finished in another session of the same person.
            let other = Browser(client)
            try await world.signIn(other, as: .member)
            let started = try await browser.post(Self.action(.google, "connect"), tokenFrom: Self.page)
            let back = try await fake.consent(to: try #require(started.location))
            #expect(try await other.get(Browser.pathAndQuery(back)).status == .badRequest)

            // A state for Google presented at GitHub's callback (mix-up).
            let mixed = try await browser.post(Self.action(.google, "connect"), tokenFrom: Self.page)
            let mixedBack = try await fake.consent(to: try #require(mixed.location))
            let atGitHub = Browser.pathAndQuery(mixedBack).replacingOccurrences(of: "/google/", with: "/github/")
            #expect(try await browser.get(atGitHub).status == .badRequest)

            let expired = try await browser.connect(.google, on: fake) {
                try await data.rows("UPDATE oauth_states SET expires_at = now() - interval '1 second'")
            }
            #expect(expired.callback.status == .badRequest)
            #expect(expired.callback.text.contains("expired"))

            #expect(try await data.count("integrations", where: "provider = 'google'") == 0)
            #expect(try await data.count("integrations") == 1)
        }
    }

    @Test func pkceVerifierMismatchSavesNothing() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let attempt = try await browser.connect(.google, on: fake) {
                try await data.rows("UPDATE oauth_states SET code_verifier = \(PKCE().verifier)")
            }
            #expect(attempt.callback.status == .badGateway)
            #expect(attempt.callback.text.contains("no longer accepts this authorization"))
            #expect(fake.requests(.google, .token).last?.form["code_verifier"] != nil)
            #expect(try await data.count("integrations") == 0)
        }
    }

    @Test func declinedConsentSavesNothing() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let attempt = try await browser.connect(.github, on: fake, deny: true)
            #expect(attempt.callback.status == .badRequest)
            #expect(attempt.callback.text.contains("You declined access"))
            #expect(fake.requests(.github, .token).isEmpty)
            #expect(try await data.count("integrations") == 0)
        }
    }

    @Test func providerFailuresBecomeClearMessagesAndSaveNothing() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let cases: [(FakeFailure?, FakeEndpointKind, Int, String)] = [
                (.serverError, .token, 502, "could not be reached"),
                (.malformedJSON, .token, 502, "could not be read"),
                (.hang, .token, 504, "did not answer in time"),
                (.serverError, .userinfo, 502, "could not be reached"),
                (nil, .token, 502, "could not be reached"),
            ]
            for (failure, endpoint, status, message) in cases {
                let attempt = try await browser.connect(.google, on: fake) {
                    if let failure { fake.failNext(failure, at: endpoint, of: .google) } else { fake.setDown(true, provider: .google) }
                }
                fake.setDown(false, provider: .google)
                #expect(attempt.callback.status.code == status, "\(String(describing: failure)) at \(endpoint)")
                #expect(attempt.callback.text.contains(message), "\(String(describing: failure)) at \(endpoint)")
                #expect(try await data.count("integrations") == 0)
            }
        }
    }

    @Test func refusedRefreshAsksForReconnect() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            #expect(try await browser.connect(.gitlab, on: fake).callback.status == .seeOther)
            try await data.rows("UPDATE integrations SET access_expires_at = now()")
            fake.failNext(.invalidGrant, at: .token, of: .gitlab)

            let refused = try await browser.post(Self.action(.gitlab, "check"), tokenFrom: Self.page)
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("Reconnect to continue"))
            #expect(try await data.count("integrations", where: "status = 'needs_reconnect'") == 1)
            #expect(try await browser.get(Self.page).text.contains(#"data-status="gitlab">Needs reconnect"#))
            #expect(try await browser.get("/dashboard").text.contains("Connected: GitLab. Needs reconnecting: GitLab."))

            #expect(try await browser.connect(.gitlab, on: fake).callback.status == .seeOther)
            #expect(try await data.count("integrations", where: "status = 'connected'") == 1)
        }
    }

    @Test func googleIsAskedForAFreshConsentWhenItsRefreshTokenStoppedWorking() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let first = try await browser.connect(.google, on: fake)
            #expect(first.query("prompt") == "consent", "an earlier grant would otherwise be approved without a refresh token")
            let more = try await browser.connect(.google, on: fake, scopes: "docs")
            #expect(more.query("prompt") == nil, "with a working refresh token, adding a scope asks only for it")
            try await data.rows("UPDATE integrations SET access_expires_at = now()")
            fake.failNext(.invalidGrant, at: .token, of: .google)
            #expect(try await browser.post(Self.action(.google, "check"), tokenFrom: Self.page).status == .conflict)

            let again = try await browser.connect(.google, on: fake)
            #expect(again.query("prompt") == "consent")
            #expect(again.callback.status == .seeOther)
            let refresh = try #require(fake.issuedRefreshTokens(.google).last)
            try await data.rows("UPDATE integrations SET access_expires_at = now()")
            #expect(try await browser.post(Self.action(.google, "check"), tokenFrom: Self.page).status == .seeOther)
            #expect(fake.requests(.google, .token).last?.form["refresh_token"] == refresh, "the new refresh token replaced the old one")
        }
    }

    @Test func concurrentUsesRefreshOnce() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            #expect(try await browser.connect(.gitlab, on: fake).callback.status == .seeOther)
            try await data.rows("UPDATE integrations SET access_expires_at = now()")
            let token = try await browser.token(from: Self.page)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await browser.post(Self.action(.gitlab, "check"), csrf: token).status.code }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 303, count: 6))
            #expect(fake.requests(.gitlab, .token).filter { $0.form["grant_type"] == "refresh_token" }.count == 1)
        }
    }

    @Test func googleAsksOnlyForNewScopes() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let gmail = "https://www.googleapis.com/auth/gmail.readonly"
            let drive = "https://www.googleapis.com/auth/drive.file"
            let first = try await browser.connect(.google, on: fake, scopes: "gmail")
            #expect(first.query("scope")?.split(separator: " ").map(String.init) == ["openid", "email", gmail])

            let second = try await browser.connect(.google, on: fake, scopes: "gmail,drive")
            #expect(second.query("scope")?.split(separator: " ").map(String.init) == ["openid", "email", drive])
            let scopes = try await data.rows("SELECT scopes FROM integrations").first?.decode([String].self) ?? []
            #expect(Set(scopes) == ["openid", "email", gmail, drive])
            let page = try await browser.get(Self.page).text
            #expect(page.contains("Read your Gmail messages"))
            #expect(page.contains("Only the Drive files you open or create with OAG"))

            let states = try await data.count("oauth_states")
            let unknown = try await browser.post(Self.action(.google, "connect"), ["scopes": "calendar"], tokenFrom: Self.page)
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.text.contains("Choose among: gmail, drive, docs, sheets."))
            #expect(try await data.count("oauth_states") == states)
        }
    }

    @Test func aDumpOfTheDatabaseHoldsNoTokenInPlaintext() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            for provider in FakeProvider.allCases {
                #expect(try await browser.connect(provider, on: fake).callback.status == .seeOther)
            }
            let dump = try TestDatabase.dump(data.settings)
            #expect(dump.contains("COPY public.integrations"))
            let tokens = FakeProvider.allCases.flatMap { fake.issuedAccessTokens($0) + fake.issuedRefreshTokens($0) }
            #expect(tokens.count >= 7)
            for token in tokens {
                let hex = Data(token.utf8).map { String(format: "%02x", $0) }.joined()
                #expect(!dump.contains(token) && !dump.contains(hex), "a token is readable in the dump")
            }
        }
    }

    @Test func aCiphertextCopiedToAnotherRowDoesNotOpen() async throws {
        try await withProviders { fake, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            #expect(try await member.connect(.github, on: fake).callback.status == .seeOther)
            #expect(try await admin.connect(.github, on: fake).callback.status == .seeOther)
            try await data.rows(
                """
                UPDATE integrations SET access_token = (SELECT access_token FROM integrations WHERE user_id = \(world.member))
                WHERE user_id = \(world.admin)
                """)
            let calls = fake.requests(.github, .userinfo).count
            let refused = try await admin.post(Self.action(.github, "check"), tokenFrom: Self.page)
            #expect(refused.status == .conflict)
            #expect(fake.requests(.github, .userinfo).count == calls, "the member's token was never sent on the admin's behalf")
        }
    }

    @Test func rotatingTheMasterKeyKeepsEveryTokenReadable() async throws {
        let fake = try await FakeOAuthServer.start()
        let settings = try await TestDatabase.fresh()
        let data = TestData(settings: settings)
        let world = World()
        try await world.seed(data)
        let newKey = Data(repeating: 7, count: 32).base64EncodedString()
        let oldKey = Data(repeating: UInt8(ascii: "t"), count: 32).base64EncodedString()
        do {
            try await withApp(database: settings, configure: { $0.providers = fake.providerSettings }) { client in
                let browser = Browser(client)
                try await world.signIn(browser, as: .member)
                for provider in [FakeProvider.google, .yandex] {
                    #expect(try await browser.connect(provider, on: fake).callback.status == .seeOther)
                }
            }
            // `oag keys rotate` with the new key first; then the old key leaves the ring.
            let rotating = Vault(ring: try MasterKeyRing(parsing: "new:\(newKey),test:\(oldKey)"), logger: TestDatabase.logger)
            let rewrapped = try await settings.owner.withConnection(logger: TestDatabase.logger) {
                try await rotating.rewrapCompanyKeys(on: $0)
            }
            #expect(rewrapped == 1)
            let newOnly = try MasterKeyRing(parsing: "new:\(newKey)")
            try await withApp(
                database: settings,
                configure: {
                    $0.providers = fake.providerSettings
                    $0.masterKeys = newOnly
                }
            ) { client in
                let browser = Browser(client)
                try await world.signIn(browser, as: .member)
                for provider in ["google", "yandex"] {
                    #expect(try await browser.post("/account/integrations/\(provider)/check", tokenFrom: Self.page).status == .seeOther)
                }
            }
        } catch {
            await fake.shutdown()
            throw error
        }
        await fake.shutdown()
    }

    @Test func companiesCannotSeeOrTouchEachOthersIntegrations() async throws {
        try await withProviders { fake, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            fake.setAccount(FakeAccount(id: "77", email: "mona.private@yandex.example"), for: .yandex)
            #expect(try await member.connect(.yandex, on: fake).callback.status == .seeOther)

            let stranger = Browser(client)
            try await world.signIn(stranger, as: .otherOwner)
            #expect(try await stranger.post(Self.action(.yandex, "disconnect"), tokenFrom: Self.page).status == .notFound)
            #expect(try await stranger.post(Self.action(.yandex, "check"), tokenFrom: Self.page).status == .notFound)
            let theirView = try await stranger.get("/company/integrations")
            #expect(theirView.status == .ok)
            #expect(!theirView.text.contains("mona.private@yandex.example"))
            #expect(try await !stranger.get(Self.page).text.contains("mona.private@yandex.example"))
            #expect(fake.requests(.yandex, .revoke).isEmpty)
            #expect(try await data.count("integrations") == 1)

            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let companyView = try await admin.get("/company/integrations").text
            #expect(companyView.contains("Mona Member"))
            #expect(companyView.contains("mona.private@yandex.example"))
            for token in fake.issuedAccessTokens(.yandex) + fake.issuedRefreshTokens(.yandex) {
                #expect(!companyView.contains(token))
            }
            #expect(try await member.get("/company/integrations").status == .forbidden)
        }
    }

    @Test func aRemovedMembersConnectionsAreRevokedAndDeleted() async throws {
        try await withProviders { fake, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            #expect(try await member.connect(.github, on: fake).callback.status == .seeOther)
            #expect(try await member.connect(.gitlab, on: fake).callback.status == .seeOther)
            let tokens = fake.issuedAccessTokens(.github) + fake.issuedAccessTokens(.gitlab)

            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let removed = try await owner.post(SitePaths.memberRemoval(world.member), tokenFrom: "/company/members")
            #expect(removed.status == .seeOther)
            #expect(try await data.count("integrations") == 0)
            #expect(tokens.allSatisfy { !fake.isLive(accessToken: $0) })
            #expect(!(try await owner.get("/company/integrations").text.contains("Mona Member")))
        }
    }

    @Test func disconnectingInOneCompanyLeavesTheSameGitHubAccountWorkingInAnother() async throws {
        try await withProviders { fake, world, data, client in
            let inA = Browser(client)
            try await world.signIn(inA, as: .member)
            let inB = Browser(client)
            try await world.signIn(inB, as: .otherOwner)
            #expect(try await inA.connect(.github, on: fake).callback.status == .seeOther)
            #expect(try await inB.connect(.github, on: fake).callback.status == .seeOther)
            let (tokenA, tokenB) = (fake.issuedAccessTokens(.github)[0], fake.issuedAccessTokens(.github)[1])

            #expect(try await inA.post(Self.action(.github, "disconnect"), tokenFrom: Self.page).status == .seeOther)
            #expect(!fake.isLive(accessToken: tokenA))
            #expect(fake.isLive(accessToken: tokenB))
            #expect(try await inB.post(Self.action(.github, "check"), tokenFrom: Self.page).status == .seeOther)
        }
    }

    @Test func switchingToAnotherAccountRevokesTheOldOne() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            #expect(try await browser.connect(.gitlab, on: fake).callback.status == .seeOther)
            let old = fake.issuedAccessTokens(.gitlab)
            fake.setAccount(FakeAccount(id: "second", email: "second@gitlab.example"), for: .gitlab)
            #expect(try await browser.connect(.gitlab, on: fake).callback.status == .seeOther)
            #expect(old.allSatisfy { !fake.isLive(accessToken: $0) })
            let labels = try await data.rows("SELECT account_label FROM integrations").map { try $0.decode(String.self) }
            #expect(labels == ["second@gitlab.example"])
        }
    }

    @Test func notConfiguredProvidersCannotBeStarted() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let page = try await browser.get(Self.page).text
            #expect(page.contains(#"data-status="google">Not configured"#))
            let refused = try await browser.post(Self.action(.google, "connect"), tokenFrom: Self.page)
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("not configured"))
            #expect(try await data.count("oauth_states") == 0)
            #expect(try await browser.post("/account/integrations/dropbox/connect", tokenFrom: Self.page).status == .notFound)
        }
    }

    @Test func logsNeverCarryTokensOrCodes() async throws {
        let recorder = LogRecorder()
        try await withProviders(logger: recorder.logger) { fake, world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let attempt = try await browser.connect(.gitlab, on: fake)
            try await data.rows("UPDATE integrations SET access_expires_at = now()")
            #expect(try await browser.post(Self.action(.gitlab, "check"), tokenFrom: Self.page).status == .seeOther)
            fake.setDown(true, provider: .gitlab)
            #expect(try await browser.post(Self.action(.gitlab, "disconnect"), tokenFrom: Self.page).status == .seeOther)
            #expect(try await browser.get(Self.page).text.contains("did not confirm the revocation"))
            #expect(try await data.count("integrations") == 0, "tokens go even when the provider cannot revoke them")
            let logs = recorder.all
            #expect(logs.contains("/account/integrations/{provider}/disconnect"), "the recorder sees request logs")
            let code = try #require(URLComponents(string: attempt.callbackPath)?.queryItems?.first { $0.name == "code" }?.value)
            for secret in fake.issuedAccessTokens(.gitlab) + fake.issuedRefreshTokens(.gitlab) + [code, fake.clientSecret] {
                #expect(!logs.contains(secret))
            }
        }
    }
}
