import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import WebConsole

@Suite("Sign-up, sign-in, sessions")
struct SignUpAndSignInTests {
    let signUpFields = ["email": "  Jane@Example.COM ", "password": "a long enough password", "name": "Jane Doe", "company_name": "Acme"]

    @Test func signingUpCreatesTheCompanyWithTheUserAsOwnerAndSignsIn() async throws {
        let settings = try await TestDatabase.fresh()
        let data = TestData(settings: settings)
        try await withApp(database: settings) { client in
            let browser = Browser(client)
            let response = try await browser.post("/signup", signUpFields)
            #expect(response.status == .seeOther)
            #expect(response.location == "/dashboard")
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("oag_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "plain-http development has no Secure flag")

            let dashboard = try await browser.get("/dashboard")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("Welcome, Jane Doe"))
            #expect(dashboard.text.contains("Acme · you are Owner"))
            #expect(dashboard.text.contains("Welcome to OAG. Your company is ready."))
        }
        #expect(try await data.count("users", where: "email = 'jane@example.com'") == 1, "emails are stored normalised")
        #expect(
            try await data.count("memberships m JOIN companies c ON c.id = m.company_id", where: "c.name = 'Acme' AND m.role = 'owner'")
                == 1)
        #expect(try await data.count("sessions") == 1)
        let hash = try await data.rows("SELECT password_hash FROM users").first!.decode(String.self)
        #expect(hash.hasPrefix("$2b$12$") || hash.hasPrefix("$2a$12$") || hash.hasPrefix("$2y$12$"), "bcrypt with cost 12")
    }

    @Test func overHTTPSTheSessionCookieIsHostPrefixedAndSecure() async throws {
        try await withApp(baseURL: "https://console.example.com") { client in
            let browser = Browser(client)
            let response = try await browser.post(
                "/signup", signUpFields, headers: [.origin: "https://console.example.com"])
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Host-oag_session=") })
            #expect(
                cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
        }
    }

    @Test func invalidSignUpShowsEachProblemByItsFieldKeepsInputAndWritesNothing() async throws {
        let settings = try await TestDatabase.fresh()
        let data = TestData(settings: settings)
        try await withApp(database: settings) { client in
            let browser = Browser(client)
            let response = try await browser.post(
                "/signup", ["email": "not-an-email", "password": "password1234", "name": "", "company_name": "Acme <b>Inc</b>"])
            #expect(response.status == .unprocessableContent)
            let page = response.text
            #expect(page.contains(#"<p id="email-error" class="field-error">Enter an email address like name@example.com.</p>"#))
            #expect(page.contains(#"<p id="password-error" class="field-error">This password is too common."#))
            #expect(page.contains(#"<p id="name-error" class="field-error">Enter your name.</p>"#))
            #expect(page.contains(#"value="not-an-email""#), "input is kept")
            #expect(
                page.contains(#"value="Acme &lt;b&gt;Inc&lt;&#47;b&gt;""#) || page.contains("value=\"Acme &lt;b&gt;Inc&lt;/b&gt;\""),
                "and escaped")
            #expect(!page.contains("password1234"), "a password is never sent back")

            let short = try await browser.post("/signup", ["email": "a@b.co", "password": "short", "name": "A", "company_name": "B"])
            #expect(short.text.contains("Use at least 12 characters."))
        }
        #expect(try await data.count("users") == 0)
        #expect(try await data.count("companies") == 0)
    }

    @Test func aSecondSignUpWithTheSameEmailIsRefused() async throws {
        try await withApp { client in
            #expect(try await Browser(client).post("/signup", signUpFields).status == .seeOther)
            let again = try await Browser(client).post("/signup", signUpFields.merging(["email": "jane@example.com"]) { $1 })
            #expect(again.status == .unprocessableContent)
            #expect(again.text.contains("An account with this email already exists."))
        }
    }

    @Test func wrongPasswordAndUnknownEmailAnswerTheSame() async throws {
        try await withWorld { world, _, client in
            let wrongPassword = try await Browser(client).post(
                "/login", ["email": world.email(world.member), "password": "not the password!"])
            let unknownEmail = try await Browser(client).post("/login", ["email": "nobody@world.test", "password": "not the password!"])
            #expect(wrongPassword.status == .unauthorized)
            #expect(unknownEmail.status == .unauthorized)
            func message(_ html: String) -> String? {
                html.range(of: #"<p class="flash flash--error"[^>]*>[^<]*</p>"#, options: .regularExpression).map { String(html[$0]) }
            }
            #expect(message(wrongPassword.text) != nil)
            #expect(message(wrongPassword.text) == message(unknownEmail.text))
        }
    }

    @Test func signingInGivesANewSessionIdAndSigningOutEndsItOnTheServer() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let first = try #require(browser.cookies["oag_session"])
            try await world.signIn(browser, as: .member)
            let second = try #require(browser.cookies["oag_session"])
            #expect(first != second, "no session fixation: a new id on every sign-in")
            #expect(try await data.count("sessions") == 1, "the replaced session is gone")

            let stolen = Browser(client)
            stolen.setCookie("oag_session", second)
            #expect(try await stolen.get("/dashboard").status == .ok)

            let out = try await browser.post("/logout")
            #expect(out.status == .seeOther)
            #expect(out.location == "/login")
            #expect(try await data.count("sessions") == 0)
            let afterwards = try await stolen.get("/dashboard")
            #expect(afterwards.status == .seeOther, "the old cookie no longer works anywhere")
            #expect(afterwards.location == "/login?next=/dashboard")
        }
    }

    @Test func repeatedFailuresAreThrottledEvenWithTheRightPassword() async throws {
        try await withWorld { world, data, client in
            for _ in 0..<5 {
                let response = try await Browser(client).post(
                    "/login", ["email": world.email(world.admin), "password": "wrong password!!"])
                #expect(response.status == .unauthorized)
            }
            let blocked = try await Browser(client).post("/login", ["email": world.email(world.admin), "password": World.password])
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(blocked.text.contains("Too many failed attempts."))
            #expect(try await data.count("sessions") == 0)
            let failures = try await data.count("audit_events", where: "action = 'sign_in_failed'")
            #expect(failures == 5, "failed sign-ins of a member are in the company's audit log")
        }
    }

    @Test func sessionsEndAfterTheIdleTimeout() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            try await data.rows("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")
            let response = try await browser.get("/dashboard")
            #expect(response.status == .seeOther)
            #expect(try await data.count("sessions") == 0, "the expired session is deleted")
            #expect(try await browser.get("/login").text.contains("Your session ended. Sign in again to continue."))
        }
    }

    @Test func sessionsEndAfterTheAbsoluteLifetimeEvenWhenActive() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            try await data.rows("UPDATE sessions SET created_at = now() - interval '12 hours 1 minute', last_seen_at = now()")
            #expect(try await browser.get("/dashboard").status == .seeOther)
        }
    }

    @Test func changingThePasswordNeedsTheCurrentOneAndSignsOutOtherSessions() async throws {
        try await withWorld { world, data, client in
            let laptop = Browser(client)
            let phone = Browser(client)
            try await world.signIn(laptop, as: .member)
            try await world.signIn(phone, as: .member)
            #expect(try await data.count("sessions") == 2)

            let wrong = try await laptop.post(
                "/account/password", ["current_password": "not my password", "new_password": "a brand new passphrase"])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("This is not your current password."))

            let changed = try await laptop.post(
                "/account/password", ["current_password": World.password, "new_password": "a brand new passphrase"])
            #expect(changed.status == .seeOther)
            #expect(try await laptop.get("/account").status == .ok, "this browser stays signed in")
            #expect(try await phone.get("/account").status == .seeOther, "the other session is signed out")
            #expect(try await data.count("audit_events", where: "action = 'password_changed'") == 1)

            let again = Browser(client)
            #expect(
                try await again.post("/login", ["email": world.email(world.member), "password": "a brand new passphrase"]).status
                    == .seeOther)
        }
    }

    @Test func wrongCurrentPasswordsCountLikeFailedSignIns() async throws {
        try await withWorld { world, data, client in
            let laptop = Browser(client)
            try await world.signIn(laptop, as: .member)
            for _ in 0..<5 {
                let wrong = try await laptop.post(
                    "/account/password", ["current_password": "not my password", "new_password": "a brand new passphrase"])
                #expect(wrong.status == .unprocessableContent)
            }
            let blocked = try await laptop.post(
                "/account/password", ["current_password": World.password, "new_password": "a brand new passphrase"])
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(blocked.text.contains("Too many failed attempts."))
            #expect(try await data.count("audit_events", where: "action = 'password_changed'") == 0)
            let signIn = try await Browser(client).post("/login", ["email": world.email(world.member), "password": World.password])
            #expect(signIn.status == .tooManyRequests, "the sign-in page counts them too")
        }
    }

    @Test func nextAfterSignInStaysOnThisSite() {
        #expect(SitePaths.safeNext("/company/members") == "/company/members")
        for hostile in [
            "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/\t/evil.example", "/ /evil.example", nil,
        ] {
            #expect(SitePaths.safeNext(hostile) == "/dashboard")
        }
    }
}
