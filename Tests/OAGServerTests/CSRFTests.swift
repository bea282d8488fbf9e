import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@Suite("Cross-site request forgery")
struct CSRFTests {
    /// A state-changing request that, if accepted, would rename the member.
    func rename(_ browser: Browser, csrf: String?, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = ["name": "Renamed"]
        if let csrf { fields["_csrf"] = csrf }
        return try await browser.post("/account", fields, csrf: csrf ?? "", headers: headers)
    }

    @Test func aFormWithoutTheTokenIsRefusedAndChangesNothing() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let response = try await rename(browser, csrf: nil)
            #expect(response.status == .forbidden)
            #expect(response.text.contains("This form has expired or did not come from this site."))
            #expect(try await data.count("users", where: "name = 'Renamed'") == 0)
        }
    }

    @Test func aWrongTokenOrAnotherSessionsTokenIsRefused() async throws {
        try await withWorld { world, data, client in
            let victim = Browser(client)
            let attacker = Browser(client)
            try await world.signIn(victim, as: .member)
            try await world.signIn(attacker, as: .admin)
            let attackersToken = try await attacker.token(from: "/account")
            #expect(try await rename(victim, csrf: "x" + attackersToken.dropFirst()).status == .forbidden)
            #expect(try await rename(victim, csrf: attackersToken).status == .forbidden)
            #expect(try await data.count("users", where: "name = 'Renamed'") == 0)

            let ownToken = try await victim.token(from: "/account")
            #expect(try await rename(victim, csrf: ownToken).status == .seeOther, "the page's own token works")
            #expect(try await data.count("users", where: "name = 'Renamed'") == 1)
        }
    }

    @Test func theHeaderFormOfTheTokenIsAccepted() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let token = try await browser.token(from: "/account")
            let response = try await browser.post(
                "/account", ["name": "Via Header", "_csrf": ""], headers: [.init("X-CSRF-Token")!: token])
            #expect(response.status == .seeOther)
            #expect(try await data.count("users", where: "name = 'Via Header'") == 1)
        }
    }

    @Test func requestsFromAnotherSiteAreRefusedEvenWithAToken() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let token = try await browser.token(from: "/account")
            #expect(try await rename(browser, csrf: token, headers: [.init("Sec-Fetch-Site")!: "cross-site"]).status == .forbidden)
            #expect(try await rename(browser, csrf: token, headers: [.origin: "https://evil.example"]).status == .forbidden)
            #expect(try await data.count("users", where: "name = 'Renamed'") == 0)
            #expect(try await rename(browser, csrf: token, headers: [.origin: "http://localhost:8081"]).status == .forbidden)
            #expect(try await rename(browser, csrf: token, headers: [.origin: "http://localhost:8080"]).status == .seeOther)
            #expect(
                try await rename(browser, csrf: token, headers: [.origin: "http://127.0.0.1:8080"]).status == .seeOther,
                "the loopback address of a localhost base URL is the same site")
        }
    }

    @Test func anonymousFormsNeedTheirDoubleSubmitToken() async throws {
        try await withWorld { world, data, client in
            let browser = Browser(client)
            let response = try await browser.post("/login", ["email": world.email(world.member), "password": World.password], csrf: "")
            #expect(response.status == .forbidden)
            #expect(try await data.count("sessions") == 0)
        }
    }

    @Test func malformedFormsAreA400() async throws {
        try await withWorld { world, _, client in
            let browser = Browser(client)
            try await world.signIn(browser, as: .member)
            let token = try await browser.token(from: "/account")
            let duplicated = try await client.execute(
                uri: "/account", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "oag_session=\(browser.cookies["oag_session"]!)"],
                body: ByteBuffer(string: "_csrf=\(token)&name=a&name=b"))
            #expect(duplicated.status == .badRequest)
            let badEncoding = try await client.execute(
                uri: "/account", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "oag_session=\(browser.cookies["oag_session"]!)"],
                body: ByteBuffer(string: "_csrf=\(token)&name=%ff%fe"))
            #expect(badEncoding.status == .badRequest)
            let json = try await client.execute(
                uri: "/account", method: .post,
                headers: [.contentType: "application/json", .cookie: "oag_session=\(browser.cookies["oag_session"]!)"],
                body: ByteBuffer(string: #"{"name":"x"}"#))
            #expect(json.status == .unsupportedMediaType)
        }
    }
}
