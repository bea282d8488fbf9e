import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing
import WebConsole

/// Correcting one's profile on `/account`: the name at once, a new sign-in email once the link
/// sent to it is opened (development logs the link, as no mailer exists).
@Suite("Correcting the account's email")
struct AccountEmailTests {
    static let newEmail = "mona.new@world.test"

    /// Asks for a change as the member and returns the confirmation path that was "mailed".
    func requestChange(to email: String, _ browser: Browser, log: LogRecorder) async throws -> String {
        let response = try await browser.post("/account", ["name": "Mona Member", "email": email])
        #expect(response.status == .seeOther)
        let matches = log.all.matches(of: #/\/account\/email\/confirm\/[A-Za-z0-9_-]{43}/#)
        return String(try #require(matches.last).output)
    }

    @Test func aConfirmedChangeSwitchesTheSignInEmailTellsTheOldAddressAndEndsOtherSessions() async throws {
        let log = LogRecorder()
        try await withWorld(logger: log.logger) { world, data, client in
            let oldEmail = world.email(world.member)
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let otherDevice = Browser(client)
            try await world.signIn(otherDevice, as: .member)

            let path = try await requestChange(to: "  Mona.New@World.test ", browser, log: log)
            let account = try await browser.get("/account").text
            #expect(account.contains("We sent a confirmation link to your new email."))
            #expect(account.contains("Pending change to <strong>\(Self.newEmail)</strong> — check your inbox."))
            #expect(account.contains("Signed in as \(oldEmail)"), "nothing changes before the link is opened")
            #expect(try await data.count("users", where: "email = '\(Self.newEmail)'") == 0)
            #expect(
                try await data.count("outbox", where: "recipient = '\(Self.newEmail)' AND company_id = '\(world.companyA)'") == 1,
                "the link is mailed to the new address, through the member's company")
            let token = String(path.split(separator: "/").last!)
            #expect(try await data.count("email_changes", where: "token_hash = sha256(convert_to('\(token)', 'UTF8'))") == 1)
            #expect(
                try await data.count("outbox", where: "position(convert_to('\(token)', 'UTF8') in sealed_body) > 0") == 0,
                "the queued mail holds the link only sealed")

            let confirmPage = try await browser.get(path)
            #expect(confirmPage.status == .ok)
            #expect(confirmPage.text.contains("Use \(Self.newEmail)"))
            #expect(try await data.count("users", where: "email = '\(Self.newEmail)'") == 0, "opening the link changes nothing")

            let confirmed = try await browser.post(path, tokenFrom: path)
            #expect(confirmed.status == .seeOther)
            #expect(confirmed.location == "/account")
            let after = try await browser.get("/account").text
            #expect(after.contains("Your sign-in email is changed."))
            #expect(after.contains("Signed in as \(Self.newEmail)"))
            #expect(!after.contains("Pending change"))
            #expect(
                try await data.count("outbox", where: "recipient = '\(oldEmail)' AND subject = 'Your OAG sign-in email was changed'") == 1,
                "the old address is told")
            #expect(
                try await data.count(
                    "audit_events",
                    where: "action = 'email_changed' AND company_id = '\(world.companyA)' AND detail = '\(oldEmail) → \(Self.newEmail)'")
                    == 1)
            #expect(try await otherDevice.get("/account").status == .seeOther, "the other session is signed out")
            #expect(try await data.count("sessions", where: "user_id = '\(world.member)'") == 1)

            let withNew = try await Browser(client).post("/login", ["email": Self.newEmail, "password": World.password])
            #expect(withNew.status == .seeOther)
            let withOld = try await Browser(client).post("/login", ["email": oldEmail, "password": World.password])
            #expect(withOld.status == .unauthorized)

            let reused = try await browser.post(path, tokenFrom: "/account")
            #expect(reused.status == .notFound, "a link works once")
            #expect(reused.text.contains("This confirmation link does not work"))
        }
    }

    @Test func expiredForeignUnknownAndReplacedLinksAnswer404AndChangeNothing() async throws {
        let log = LogRecorder()
        try await withWorld(logger: log.logger) { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let first = try await requestChange(to: "first@world.test", member, log: log)
            let second = try await requestChange(to: "second@world.test", member, log: log)
            #expect(first != second)
            #expect(try await data.count("email_changes") == 1, "one pending change per user: the new request replaces the old")
            let replaced = try await member.get(first)
            #expect(replaced.status == .notFound)
            #expect(replaced.text.contains("This confirmation link does not work"))

            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            #expect(try await owner.get(second).status == .notFound, "a link works only for the account it was sent to")
            #expect(try await owner.post(second, tokenFrom: "/account").status == .notFound)

            let unknown = try await member.get(SitePaths.emailConfirmation(SecretToken().value))
            #expect(unknown.status == .notFound)
            #expect(try await member.get(SitePaths.emailConfirmation("not-a-token")).status == .notFound)

            try await data.rows("UPDATE email_changes SET expires_at = now() - interval '1 second'")
            #expect(try await member.get(second).status == .notFound)
            #expect(try await member.post(second, tokenFrom: "/account").status == .notFound)
            #expect(!(try await member.get("/account").text.contains("Pending change")), "an expired change is not shown as pending")
            #expect(try await data.count("users", where: "email IN ('first@world.test', 'second@world.test')") == 0)

            let anonymous = try await Browser(client).get(second)
            #expect(anonymous.status == .seeOther, "signed out, the link leads to the sign-in page first")
        }
    }

    @Test func aPendingChangeCanBeWithdrawn() async throws {
        let log = LogRecorder()
        try await withWorld(logger: log.logger) { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let path = try await requestChange(to: "later@world.test", member, log: log)
            let cancelled = try await member.post(SitePaths.emailChangeCancellation)
            #expect(cancelled.status == .seeOther)
            let page = try await member.get("/account").text
            #expect(page.contains("The email change is withdrawn"))
            #expect(!page.contains("Pending change"))
            #expect(try await data.count("email_changes") == 0)
            #expect(try await member.get(path).status == .notFound)
        }
    }

    @Test func anAddressTakenByAnotherAccountIsRefusedNextToTheField() async throws {
        try await withWorld { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let taken = try await member.post("/account", ["name": "Mona Renamed", "email": world.email(world.admin).uppercased()])
            #expect(taken.status == .unprocessableContent)
            #expect(taken.text.contains(#"<p id="email-error" class="field-error">Another account already uses this email.</p>"#))
            #expect(try await data.count("email_changes") == 0)
            #expect(try await data.count("users", where: "name = 'Mona Renamed'") == 0, "nothing is half-saved")
        }
    }

    @Test func anAddressTakenAfterTheLinkWasSentLeavesTheEmailAsItWas() async throws {
        let log = LogRecorder()
        try await withWorld(logger: log.logger) { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let path = try await requestChange(to: "contested@world.test", member, log: log)
            try await data.rows(
                "INSERT INTO users (id, email, name, password_hash) VALUES (\(UUID()), 'contested@world.test', 'Quick', 'x')")
            let refused = try await member.post(path, tokenFrom: path)
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("Another account now uses this email, so yours was not changed."))
            #expect(try await data.count("users", where: "id = '\(world.member)' AND email = '\(world.email(world.member))'") == 1)
            #expect(try await data.count("email_changes") == 0)
            #expect(try await data.count("audit_events", where: "action = 'email_changed'") == 0)
        }
    }

    @Test func badInputGetsMessagesNextToTheFieldsAndTheSameAddressOnlySavesTheName() async throws {
        try await withWorld { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let bad = try await member.post("/account", ["name": " ", "email": "not-an-email"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains(#"<p id="name-error" class="field-error">Enter your name.</p>"#))
            #expect(bad.text.contains(#"<p id="email-error" class="field-error">Enter an email address like name@example.com.</p>"#))
            #expect(bad.text.contains(#"value="not-an-email""#), "input is kept")

            let same = try await member.post("/account", ["name": "Mona Renamed", "email": world.email(world.member).uppercased()])
            #expect(same.status == .seeOther)
            #expect(try await member.get("/account").text.contains("Your profile is saved."))
            #expect(try await data.count("users", where: "name = 'Mona Renamed'") == 1)
            #expect(try await data.count("email_changes") == 0)
            #expect(try await data.count("outbox") == 0)
        }
    }

    @Test func anOperatorInNoCompanyIsToldWhyTheEmailCannotChange() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = Browser(client)
            try await world.signIn(operatorBrowser, as: .platformOperator)
            let refused = try await operatorBrowser.post("/account", ["name": "Olga Operator", "email": "olga@world.test"])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("Your account belongs to no company"))
            #expect(try await data.count("email_changes") == 0)
        }
    }

    @Test func anAccountWithoutAPasswordIsNotAskedForItsCurrentOne() async throws {
        try await withWorld { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            #expect(try await member.get("/account").text.contains(#"name="current_password""#))
            // As if the account had been made by signing in with a provider.
            try await data.rows("UPDATE users SET password_hash = NULL WHERE id = \(world.member)")
            let page = try await member.get("/account").text
            #expect(!page.contains(#"name="current_password""#))
            #expect(page.contains("Set a password"))
            let set = try await member.post("/account/password", ["new_password": "a brand new passphrase"])
            #expect(set.status == .seeOther)
            #expect(try await data.count("users", where: "id = '\(world.member)' AND password_hash IS NOT NULL") == 1)
        }
    }
}
