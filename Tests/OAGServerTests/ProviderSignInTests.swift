import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// Signing in (and up) with Google or GitHub.
@Suite("Sign-in with a provider")
struct ProviderSignInTests {
    /// Start → consent → callback, as a browser does it.
    static func signIn(with provider: FakeProvider, _ browser: Browser, fake: FakeOAuthServer) async throws -> TestResponse {
        let start = try await browser.get("/auth/\(provider.rawValue)/start")
        try #require(start.status == .seeOther, "start answered \(start.status)")
        let back = try await fake.consent(to: try #require(start.location))
        return try await browser.get(Browser.pathAndQuery(back))
    }

    @Test func aNewPersonGetsAnAccountAndACompanyThenSignsInAgain() async throws {
        try await withProviders { fake, world, data, client in
            fake.setAccount(FakeAccount(id: "g-1001", email: "newcomer@example.com", name: "Nora Newcomer"), for: .google)
            let browser = Browser(client)
            let login = try await browser.get("/login").text
            #expect(login.contains("Sign in with Google") && login.contains("Sign in with GitHub"))
            #expect(!login.contains("Sign in with GitLab"), "GitLab and Yandex connect accounts but do not sign people in")

            let first = try await Self.signIn(with: .google, browser, fake: fake)
            #expect(first.status == .seeOther)
            #expect(first.location == "/dashboard")
            let authorize = try #require(fake.requests(.google, .authorize).last)
            #expect(authorize.query["scope"] == "openid email profile")
            #expect(authorize.query["redirect_uri"] == "http://localhost:8080/auth/google/callback")
            #expect(try await browser.get("/dashboard").text.contains("Nora Newcomer"))

            let users = try await data.rows("SELECT id, password_hash FROM users WHERE email = 'newcomer@example.com'")
            #expect(users.count == 1)
            let (userID, hash) = try users[0].decode((UUID, String?).self)
            #expect(hash == nil)
            #expect(
                try await data.count("external_identities", where: "provider = 'google' AND subject = 'g-1001' AND user_id = '\(userID)'")
                    == 1)
            #expect(try await data.count("memberships", where: "user_id = '\(userID)' AND role = 'owner'") == 1)
            #expect(try await data.count("companies", where: "name = 'Nora Newcomer’s company'") == 1)

            #expect(try await browser.post("/logout", tokenFrom: "/account").status == .seeOther)
            let again = try await Self.signIn(with: .google, browser, fake: fake)
            #expect(again.status == .seeOther)
            #expect(try await data.count("users", where: "email = 'newcomer@example.com'") == 1)
            #expect(try await browser.get("/account").status == .ok)

            // No password was ever set, so none signs in.
            let stranger = Browser(client)
            #expect(try await stranger.post("/login", ["email": "newcomer@example.com", "password": ""]).status == .unauthorized)
        }
    }

    @Test func anExistingEmailIsLinkedOnlyAfterItsOwnerSignsInWithThePassword() async throws {
        try await withProviders { fake, world, data, client in
            fake.setAccount(FakeAccount(id: "9001", email: world.email(world.member), name: "Mona on GitHub"), for: .github)
            let browser = Browser(client)
            let callback = try await Self.signIn(with: .github, browser, fake: fake)
            #expect(callback.status == .ok)
            #expect(callback.text.contains("Sign in with its password once to link your GitHub account"))
            #expect(browser.cookies["oag_session"] == nil, "nobody is signed in by the provider alone")
            #expect(try await data.count("external_identities") == 0)

            // Someone else's browser signing in as the member does not pick up this browser's pending link.
            let other = Browser(client)
            try await world.signIn(other, as: .member)
            #expect(try await data.count("external_identities") == 0)

            try await world.signIn(browser, as: .member)
            #expect(
                try await data.count(
                    "external_identities", where: "provider = 'github' AND subject = '9001' AND user_id = '\(world.member)'") == 1)
            #expect(try await browser.get("/dashboard").text.contains("next time you can sign in with the provider"))

            #expect(try await browser.post("/logout", tokenFrom: "/account").status == .seeOther)
            let viaGitHub = try await Self.signIn(with: .github, browser, fake: fake)
            #expect(viaGitHub.status == .seeOther)
            #expect(try await browser.get("/account").text.contains(world.email(world.member)))
        }
    }

    @Test func anAccountWithoutAPasswordCannotBeLinkedByEmail() async throws {
        try await withProviders { fake, world, data, client in
            fake.setAccount(FakeAccount(id: "g-77", email: "solo@example.com", name: "Solo"), for: .google)
            fake.setAccount(FakeAccount(id: "7777", email: "solo@example.com", name: "Solo"), for: .github)
            let browser = Browser(client)
            #expect(try await Self.signIn(with: .google, browser, fake: fake).status == .seeOther)
            #expect(try await browser.post("/logout", tokenFrom: "/account").status == .seeOther)
            let viaGitHub = try await Self.signIn(with: .github, browser, fake: fake)
            #expect(viaGitHub.status == .conflict)
            #expect(viaGitHub.text.contains("signs in with another provider"))
            #expect(try await data.count("external_identities") == 1)
            #expect(try await data.count("oauth_states", where: "purpose = 'link'") == 0)
        }
    }

    @Test func anUnverifiedEmailDoesNotSignIn() async throws {
        try await withProviders { fake, world, data, client in
            fake.setAccount(FakeAccount(id: "g-2", email: "unverified@example.com", emailVerified: false), for: .google)
            let browser = Browser(client)
            let callback = try await Self.signIn(with: .google, browser, fake: fake)
            #expect(callback.status == .badRequest)
            #expect(callback.text.contains("has not verified an email address"))
            #expect(try await data.count("users", where: "email = 'unverified@example.com'") == 0)
        }
    }

    @Test func aStateOfOneProviderFailsAtTheOther() async throws {
        try await withProviders { fake, world, data, client in
            let browser = Browser(client)
            let start = try await browser.get("/auth/google/start")
            let back = try await fake.consent(to: try #require(start.location))
            let atGitHub = Browser.pathAndQuery(back).replacingOccurrences(of: "/auth/google/", with: "/auth/github/")
            #expect(try await browser.get(atGitHub).status == .badRequest)
            #expect(fake.requests(.github, .token).isEmpty && fake.requests(.google, .token).isEmpty)
            #expect(try await browser.get("/auth/gitlab/start").status == .notFound)
        }
    }
}
