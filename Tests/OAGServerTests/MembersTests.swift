import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import WebConsole

@Suite("Members, roles and invitations")
struct MembersTests {
    func invitationToken(_ response: TestResponse) throws -> String {
        let html = response.text
        let range = try #require(html.range(of: #"/invitations/[A-Za-z0-9_-]{43}"#, options: .regularExpression))
        return String(html[range].dropFirst("/invitations/".count))
    }

    @Test func anInviteeCreatesAnAccountAndJoinsOnceWithTheRoleGiven() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let invited = try await admin.post("/company/invitations", ["email": "New.Person@World.test", "role": "admin"])
            #expect(invited.status == .ok)
            #expect(invited.text.contains("Invitation link for new.person@world.test"))
            let token = try invitationToken(invited)
            #expect(
                try await data.count("invitations", where: "token_hash = sha256(convert_to('\(token)', 'UTF8'))") == 1,
                "only the hash is stored")
            #expect(
                try await data.count(
                    "invitations", where: "expires_at BETWEEN now() + interval '7 days' - interval '1 minute' AND now() + interval '7 days'"
                ) == 1)
            #expect(try await data.count("outbox", where: "recipient = 'new.person@world.test'") == 1)
            #expect(
                try await data.count("outbox", where: "position(convert_to('\(token)', 'UTF8') in sealed_body) > 0") == 0,
                "the queued mail holds the link only sealed")

            let invitee = Browser(client)
            let page = try await invitee.get("/invitations/\(token)")
            #expect(page.status == .ok)
            #expect(page.text.contains("new.person@world.test is invited to join Company A as admin."))
            let joined = try await invitee.post(
                "/invitations/\(token)", ["name": "New Person", "password": "my own passphrase"], tokenFrom: "/invitations/\(token)")
            #expect(joined.status == .seeOther)
            #expect(joined.location == "/dashboard")
            #expect(try await invitee.get("/dashboard").text.contains("Company A · you are Admin"))

            let reused = try await Browser(client).post(
                "/invitations/\(token)", ["name": "Someone", "password": "another passphrase"], tokenFrom: "/login")
            #expect(reused.status == .notFound, "an invitation link works once")
            #expect(try await Browser(client).get("/invitations/\(token)").text.contains("This invitation has already been used."))
            #expect(try await data.count("users", where: "email = 'new.person@world.test'") == 1)
        }
    }

    @Test func anExpiredInvitationCannotBeUsed() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let token = try invitationToken(try await admin.post("/company/invitations", ["email": "late@world.test", "role": "member"]))
            try await data.rows("UPDATE invitations SET expires_at = now() - interval '1 second'")
            let invitee = Browser(client)
            #expect(try await invitee.get("/invitations/\(token)").text.contains("This invitation has expired."))
            let attempt = try await invitee.post(
                "/invitations/\(token)", ["name": "Late", "password": "my own passphrase"], tokenFrom: "/login")
            #expect(attempt.status == .notFound)
            #expect(try await data.count("users", where: "email = 'late@world.test'") == 0)
        }
    }

    @Test func aWithdrawnInvitationStopsWorking() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let token = try invitationToken(try await admin.post("/company/invitations", ["email": "maybe@world.test", "role": "member"]))
            let id = try await data.rows("SELECT id FROM invitations").first!.decode(UUID.self)
            let revoked = try await admin.post(SitePaths.invitationRevocation(id))
            #expect(revoked.status == .seeOther)
            #expect(try await admin.get("/company/members").text.contains("The invitation was withdrawn"))
            #expect(try await Browser(client).get("/invitations/\(token)").status == .notFound)
            #expect(try await admin.post(SitePaths.invitationRevocation(id)).status == .notFound, "already gone")
            #expect(try await data.count("audit_events", where: "action = 'invitation_revoked'") == 1)
        }
    }

    @Test func anInvitationIsForItsEmailOnly() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let token = try invitationToken(
                try await admin.post("/company/invitations", ["email": "someone@world.test", "role": "member"]))
            let other = Browser(client)
            try await world.signIn(other, as: .otherOwner)
            #expect(try await other.get("/invitations/\(token)").text.contains("You are signed in as"))
            let attempt = try await other.post("/invitations/\(token)")
            #expect(attempt.status == .unprocessableContent)
            #expect(try await data.count("memberships", where: "user_id = '\(world.otherOwner)' AND company_id = '\(world.companyA)'") == 0)
        }
    }

    @Test func unknownOrMalformedInvitationTokensAre404() async throws {
        try await withApp { client in
            for token in ["nope", String(repeating: "a", count: 43), "%00", String(repeating: "x", count: 5000)] {
                let response = try await client.execute(uri: "/invitations/\(token)", method: .get)
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func invitingValidatesAndRefusesExistingMembers() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let bad = try await admin.post("/company/invitations", ["email": "nope", "role": "emperor"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains(#"<p id="invite-email-error" class="field-error">"#))
            let existing = try await admin.post("/company/invitations", ["email": world.email(world.member), "role": "member"])
            #expect(existing.text.contains("is already a member of this company."))
            let owner = try await admin.post("/company/invitations", ["email": "boss@world.test", "role": "owner"])
            #expect(owner.text.contains("Only an owner can invite another owner."))
            #expect(try await data.count("invitations") == 0)
        }
    }

    @Test func theLastOwnerCannotBeDemotedOrRemoved() async throws {
        try await withWorld { world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let demote = try await owner.post(SitePaths.memberRole(world.owner), ["role": "member"])
            #expect(demote.status == .seeOther)
            #expect(try await owner.get("/company/members").text.contains("A company needs at least one owner."))
            let remove = try await owner.post(SitePaths.memberRemoval(world.owner))
            #expect(remove.status == .seeOther)
            #expect(try await data.count("memberships", where: "user_id = '\(world.owner)' AND role = 'owner'") == 1)

            #expect(try await owner.post(SitePaths.memberRole(world.admin), ["role": "owner"]).status == .seeOther)
            #expect(try await owner.post(SitePaths.memberRole(world.owner), ["role": "member"]).status == .seeOther)
            #expect(
                try await data.count("memberships", where: "user_id = '\(world.owner)' AND role = 'member'") == 1,
                "with a second owner it works")
        }
    }

    @Test func adminsManageMembersButNotOwners() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            #expect(try await admin.post(SitePaths.memberRole(world.target), ["role": "admin"]).status == .seeOther)
            #expect(try await admin.post(SitePaths.memberRole(world.target), ["role": "owner"]).status == .forbidden)
            #expect(try await admin.post(SitePaths.memberRole(world.owner), ["role": "member"]).status == .forbidden)
            #expect(try await admin.post(SitePaths.memberRemoval(world.owner)).status == .forbidden)
            #expect(try await admin.post(SitePaths.memberRemoval(world.target)).status == .seeOther)
            #expect(try await data.count("memberships", where: "user_id = '\(world.target)'") == 0)
            let events = try await data.rows("SELECT action FROM audit_events WHERE company_id = \(world.companyA) ORDER BY created_at")
                .map { try $0.decode(String.self) }
            #expect(events.contains("role_changed") && events.contains("member_removed"))
        }
    }

    @Test func invitationsOfARemovedOrDemotedAdminStopWorking() async throws {
        try await withWorld { world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let token = try invitationToken(
                try await admin.post("/company/invitations", ["email": "backdoor@world.test", "role": "admin"]))
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            #expect(try await owner.post(SitePaths.memberRole(world.admin), ["role": "member"]).status == .seeOther)
            #expect(
                try await Browser(client).get("/invitations/\(token)").status == .notFound, "a demoted admin's invitations are withdrawn")
            #expect(try await data.count("invitations") == 0)
        }
    }

    @Test func anotherCompanysMemberIsNotFoundNotForbidden() async throws {
        try await withWorld { world, data, client in
            let otherOwner = Browser(client)
            try await world.signIn(otherOwner, as: .otherOwner)
            #expect(try await otherOwner.post(SitePaths.memberRole(world.member), ["role": "admin"]).status == .notFound)
            #expect(try await otherOwner.post(SitePaths.memberRemoval(world.member)).status == .notFound)
            #expect(
                try await otherOwner.post(SitePaths.memberRole(UUID()), ["role": "admin"]).status == .notFound,
                "same answer as a made-up id")
            #expect(try await otherOwner.post("/company/members/not-a-uuid/remove").status == .notFound)
            #expect(try await data.count("memberships", where: "company_id = '\(world.companyA)'") == 4)
            let list = try await otherOwner.get("/company/members").text
            #expect(!list.contains("Mona Member") && !list.contains(world.email(world.member)))
        }
    }

    @Test func aUserInTwoCompaniesSwitchesAndGetsANewSession() async throws {
        try await withWorld { world, data, client in
            try await data.rows("INSERT INTO memberships (company_id, user_id, role) VALUES (\(world.companyB), \(world.member), 'admin')")
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            #expect(try await browser.get("/dashboard").text.contains("Company A · you are Member"))
            let before = browser.cookies["oag_session"]
            let switched = try await browser.post("/company/switch", ["company_id": world.companyB.uuidString])
            #expect(switched.status == .seeOther)
            #expect(browser.cookies["oag_session"] != before, "a privilege change gives a new session id")
            #expect(try await browser.get("/dashboard").text.contains("Company B · you are Admin"))
            #expect(try await browser.post("/company/switch", ["company_id": UUID().uuidString]).status == .notFound)
        }
    }

    @Test func namesAreShownAsTextNeverAsMarkup() async throws {
        try await withApp { client in
            let browser = Browser(client)
            let payload = #"<script>alert("x")</script><img src=x onerror=alert(1)>"#
            let signedUp = try await browser.post(
                "/signup", ["email": "xss@world.test", "password": "a long enough password", "name": payload, "company_name": payload])
            #expect(signedUp.status == .seeOther)
            for path in ["/dashboard", "/company/members", "/account", "/company/audit"] {
                let html = try await browser.get(path).text
                #expect(!html.contains("<script>alert"), "\(path) renders the name escaped")
                #expect(!html.contains("<img src=x"), "\(path)")
                #expect(html.contains("&lt;script&gt;"), "\(path) shows it as text")
            }
        }
    }

    @Test func aLongMemberListComesFiftyAtATimeInTheOrderPeopleJoined() async throws {
        try await withWorld { world, data, client in
            // The world's four members of company A joined first; 52 more join a minute apart after them.
            try await data.rows(
                """
                WITH joiners AS (
                    SELECT gen_random_uuid() AS id, n FROM generate_series(1, 52) AS n)
                , users AS (
                    INSERT INTO users (id, email, name, password_hash)
                    SELECT id, 'joiner' || n || '@world.test', 'Joiner ' || lpad(n::text, 2, '0'), 'x' FROM joiners RETURNING id)
                INSERT INTO memberships (company_id, user_id, role, joined_at)
                SELECT \(world.companyA), j.id, 'member', now() + n * interval '1 minute' FROM joiners j
                """)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let first = try await admin.get("/company/members").text
            #expect(first.contains("56 members"))
            #expect(first.contains("Alice Owner") && first.contains("Joiner 46") && !first.contains("Joiner 47"), "the first 50")
            let range = try #require(first.range(of: #"/company/members\?after=[^"]+"#, options: .regularExpression))
            let next = String(first[range]).replacingOccurrences(of: "&amp;", with: "&")
            let second = try await admin.get(next)
            #expect(second.status == .ok)
            #expect(second.text.contains("Joiner 47") && second.text.contains("Joiner 52") && !second.text.contains("Joiner 46"))
            #expect(!second.text.contains("More members") && second.text.contains("Back to the first members"))
            #expect(try await admin.get("/dashboard").text.contains("56"), "the dashboard counts them all")
            let hostile = try await admin.get("/company/members?after=nan&id=\(UUID())")
            #expect(hostile.status == .ok && hostile.text.contains("Alice Owner"), "a cursor no list could hold shows the first page")
        }
    }

    @Test(arguments: ["1e300", "nan", "inf", "-5", "abc", "9999999999999"])
    func aHostileAuditCursorShowsTheNewestPage(_ before: String) async throws {
        try await withWorld { world, _, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let response = try await owner.get("/company/audit?before=\(before)&id=\(UUID())")
            #expect(response.status == .ok)
            #expect(response.text.contains("Signed in"))
        }
    }

    @Test func theAuditLogRecordsWhoDidWhatFromWhere() async throws {
        try await withWorld { world, _, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            _ = try await owner.post("/company/invitations", ["email": "audited@world.test", "role": "member"])
            let log = try await owner.get("/company/audit")
            #expect(log.status == .ok)
            #expect(log.text.contains("Invited a member"))
            #expect(log.text.contains("audited@world.test as member"))
            #expect(log.text.contains("Signed in"))
            #expect(log.text.contains("Alice Owner"))

            let member = Browser(client)
            try await world.signIn(member, as: .member)
            #expect(try await member.get("/company/audit").status == .forbidden)
        }
    }
}
