import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Every route of the permission matrix, as every visitor who may reach it, fed hostile input:
/// never a 500, nothing written when the answer is a refusal, no injected markup live on a page.
@Suite("Bad input")
struct BadInputTests {
    typealias Actor = World.Actor

    static let actors: [Actor] = [.anonymous, .member, .admin, .owner, .platformOperator]

    /// Tables a refused request may still write, by route, and why. Everything else must stay as it was.
    static let writesOnRefusal: [String: Set<String>] = [
        // A failed sign-in is counted, per account and per address, so that password guessing is throttled;
        // so is a wrong current password when changing it.
        "POST /login": ["login_failures"],
        "POST /account/password": ["login_failures"],
    ]

    /// Written by the maintenance job on its own schedule, whatever requests come in.
    static let writtenInTheBackground: Set<String> = ["maintenance_runs"]

    /// The actor gets past the route's access rules (anything but "sign in first" or 403).
    static func reaches(_ row: PermissionMatrixTests.Row, _ actor: Actor) -> Bool {
        guard let expected = row.expected[actor], expected != 403 else { return false }
        return !(actor == .anonymous && expected == 303 && row.expected[.member] != 303)
    }

    /// Forms first, then pages: injected values that were stored must come back escaped on the pages
    /// read afterwards. Signing out stays last, as in the matrix.
    static func routes(for actor: Actor) -> [(route: String, row: PermissionMatrixTests.Row)] {
        let reachable = PermissionMatrixTests.rows.filter { !$0.key.contains(" /v1/") && reaches($0.value, actor) }
        let posts = reachable.filter { !$0.key.hasPrefix("GET ") && $0.key != "POST /logout" }
        let gets = reachable.filter { $0.key.hasPrefix("GET ") }
        let logout = reachable.filter { $0.key == "POST /logout" }
        return (posts + gets + logout).map { (route: $0.key, row: $0.value) }
    }

    @Test(arguments: actors)
    func everyRouteRefusesBadInputCleanly(_ actor: Actor) async throws {
        try await withWorld { world, data, client in
            try await data.rows(
                """
                INSERT INTO invitations (company_id, id, email, role, token_hash, expires_at)
                VALUES (\(world.companyA), \(world.invitation), 'invitee@world.test', 'member',
                        sha256(convert_to(\(PermissionMatrixTests.invitationToken), 'UTF8')), now() + interval '1 day')
                """)
            let browser = Browser(client)
            var csrf = try await signIn(browser, as: actor, world)
            var before = try await DatabaseFingerprint.take(data)
            for (index, (route, row)) in Self.routes(for: actor).enumerated() {
                if actor != .anonymous, !browser.cookies.keys.contains("oag_session") {
                    csrf = try await signIn(browser, as: actor, world)
                    before = try await DatabaseFingerprint.take(data)
                }
                let parts = route.split(separator: " ").map(String.init)
                let cases = BadInputCases(
                    method: HTTPRequest.Method(parts[0])!, pattern: parts[1], path: row.path(world), form: row.form(world),
                    seed: UInt64(index) << 8 | UInt64(Self.actors.firstIndex(of: actor)!)
                ).all()
                for bad in cases {
                    var headers = bad.headers
                    // The session's token rides in the header, so that the body, not CSRF, is what is tested.
                    if bad.method != .get { headers[.init("X-CSRF-Token")!] = csrf }
                    let response = try await browser.send(bad.path, method: bad.method, headers: headers, body: bad.body)
                    let what = "\(route) as \(actor), \(bad.label): \(response.status.code)"
                    #expect(response.status.code < 500, "\(what)")
                    if response.isHTML {
                        #expect(!response.text.contains(Hostile.liveMarkup), "\(what) shows the injected script as markup")
                    }
                    let after = try await DatabaseFingerprint.take(data)
                    if (400..<500).contains(response.status.code) {
                        let changed = after.changedTables(since: before).subtracting(Self.writesOnRefusal[route] ?? [])
                            .subtracting(Self.writtenInTheBackground)
                        #expect(changed.isEmpty, "\(what) was refused but changed \(changed.sorted())")
                    }
                    before = after
                }
            }
        }
    }

    /// Bodies no OpenAI client would send, for a valid key of company A.
    static func chatBodies(seed: UInt64) -> [(label: String, body: [UInt8])] {
        var generator = SeededGenerator(seed: seed)
        let hi = #"[{"role":"user","content":"Hi"}]"#
        var bodies: [(String, String)] = [
            ("empty", ""),
            ("truncated", #"{"model":"gpt-4o-mini","messages":[{"role":"us"#),
            ("not an object", "[1,2,3]"),
            ("a bare string", #""gpt-4o-mini""#),
            ("no model", #"{"messages":\#(hi)}"#),
            ("no messages", #"{"model":"gpt-4o-mini"}"#),
            ("model is a number", #"{"model":42,"messages":\#(hi)}"#),
            ("model is an object", #"{"model":{"id":"gpt-4o-mini"},"messages":\#(hi)}"#),
            ("model is 100 KB", #"{"model":""# + String(repeating: "m", count: 100 * 1024) + #"","messages":\#(hi)}"#),
            ("model is injection", #"{"model":"\#(Hostile.sql)<script>alert(1)</script>","messages":\#(hi)}"#),
            ("messages is a string", #"{"model":"gpt-4o-mini","messages":"Hi"}"#),
            ("messages is an object", #"{"model":"gpt-4o-mini","messages":{"role":"user","content":"Hi"}}"#),
            ("messages is empty", #"{"model":"gpt-4o-mini","messages":[]}"#),
            ("a message is a number", #"{"model":"gpt-4o-mini","messages":[7]}"#),
            ("role is an array", #"{"model":"gpt-4o-mini","messages":[{"role":["user"],"content":"Hi"}]}"#),
            ("stream is a string", #"{"model":"gpt-4o-mini","stream":"yes","messages":\#(hi)}"#),
            ("duplicated keys", #"{"model":"gpt-4o-mini","model":"no-such-model","messages":\#(hi)}"#),
            ("unknown model", #"{"model":"no-such-model","messages":\#(hi)}"#),
            ("nested too deep", #"{"model":"gpt-4o-mini","messages":"# + String(repeating: "[", count: 5000) + "]}"),
            ("NUL escapes", #"{"model":"gpt-4o\u0000-mini","messages":[{"role":"user\u0000","content":"Hi"}]}"#),
            ("lone surrogate", #"{"model":"\ud800","messages":\#(hi)}"#),
            ("number out of range", #"{"model":"gpt-4o-mini","max_tokens":1e999,"messages":\#(hi)}"#),
        ]
        for round in 0..<3 {
            bodies.append(("seeded random text #\(round)", generator.text(maxLength: 200)))
        }
        var raw = bodies.map { (label: $0.0, body: Array($0.1.utf8)) }
        raw.append(
            (
                "invalid UTF-8 in a string",
                Array(#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"A"#.utf8) + [0xFF, 0xC3, 0x28] + Array(#""}]}"#.utf8)
            ))
        raw.append(("random bytes", generator.bytes(512)))
        return raw
    }

    static func apiCases(key: String) -> [BadRequest] {
        let chat = "/v1/chat/completions"
        let bearer: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        let valid = ByteBuffer(string: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"#)
        let threadHeader = HTTPField.Name("X-OAG-Thread")!
        var cases = chatBodies(seed: 42).map {
            BadRequest(label: $0.label, method: .post, path: chat, headers: bearer, body: ByteBuffer(bytes: $0.body))
        }
        for contentType in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
            var headers = bearer
            headers[.contentType] = contentType
            cases.append(
                BadRequest(label: contentType, method: .post, path: chat, headers: headers, body: ByteBuffer(string: "model=x&messages=Hi"))
            )
        }
        var overLimit = BadRequest(label: "body over the limit", method: .post, path: chat, headers: bearer)
        overLimit.body = ByteBuffer(repeating: UInt8(ascii: " "), count: Hostile.bodyLimit + 1)
        cases.append(overLimit)
        for thread in [Hostile.sql, UUID().uuidString, String(repeating: "t", count: 10_000)] {
            var headers = bearer
            headers[threadHeader] = thread
            cases.append(BadRequest(label: "thread \(thread.prefix(20))", method: .post, path: chat, headers: headers, body: valid))
        }
        for authorization in ["Bearer", "Bearer \(Hostile.sql)", "Basic \(key)", "Bearer " + String(repeating: "k", count: 100 * 1024)] {
            let label = "authorization \(authorization.prefix(20))"
            cases.append(BadRequest(label: label, method: .get, path: "/v1/models", headers: [.authorization: authorization]))
            var headers = bearer
            headers[.authorization] = authorization
            cases.append(BadRequest(label: label, method: .post, path: chat, headers: headers, body: valid))
        }
        for query in ["?limit=%FF", "?after=%27%20OR%201%3D1%20--", "?a=1&a=2"] {
            cases.append(BadRequest(label: "models \(query)", method: .get, path: "/v1/models" + query, headers: bearer))
        }
        return cases
    }

    @Test func theAPIRefusesBadBodiesInOpenAIsShapeAndMetersNothing() async throws {
        try await withGateway { _, world, data, client in
            let key = try await data.apiKey(company: world.companyA)
            var accepted = 0
            var before = try await DatabaseFingerprint.take(data)
            for bad in Self.apiCases(key: key) {
                let response = try await client.execute(uri: bad.path, method: bad.method, headers: bad.headers, body: bad.body)
                let what = "\(bad.method) \(bad.path), \(bad.label): \(response.status.code) \(response.text.prefix(200))"
                #expect(response.status.code < 500, "\(what)")
                if response.status.code >= 400 {
                    #expect(response.headers[.contentType] == "application/json", "\(what)")
                    #expect(response.json?["error"]?["message"]?.string != nil, "\(what)")
                    #expect(response.json?["error"]?["type"]?.string != nil, "\(what)")
                    let changed = try await DatabaseFingerprint.take(data).changedTables(since: before).subtracting(
                        Self.writtenInTheBackground)
                    #expect(changed.isEmpty, "\(what) was refused but changed \(changed.sorted())")
                } else if bad.path.hasPrefix("/v1/chat") {
                    // Accepted: wait for its usage to be written, so that each refusal is judged on its own.
                    accepted += 1
                    _ = try await data.usageEvents(accepted)
                }
                before = try await DatabaseFingerprint.take(data)
            }
            let sentinel = try await APIClient(client: client, key: key).chat(model: "gpt-4o-mini", messages: [("user", "Hi")])
            #expect(sentinel.status == .ok)
            let events = try await data.usageEvents(accepted + 1)
            #expect(events.count == accepted + 1, "one usage event per accepted request, none for refusals")
            #expect(events.allSatisfy { $0.status == 200 })
        }
    }

    /// Signs in through the real form (anonymous visitors just open the sign-in page); returns the CSRF token.
    func signIn(_ browser: Browser, as actor: Actor, _ world: World) async throws -> String {
        try await world.signIn(browser, as: actor)
        return try await browser.token(from: actor == .anonymous ? "/login" : "/account")
    }
}
