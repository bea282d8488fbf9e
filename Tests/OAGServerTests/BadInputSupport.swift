import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TestSupport
import Testing

/// A small deterministic generator (SplitMix64): the same seed gives the same cases on every run,
/// so a failure names a case that can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }

    /// Text from an alphabet rich in what breaks parsers and pages: quotes, markup, separators, controls, non-ASCII.
    mutating func text(maxLength: Int) -> String {
        let alphabet = Array("aZ09 '\"<>&;=%+/\\{}[]#?\u{0}\u{7}\n\r\té€𝄞\u{202E}\u{FEFF}")
        return String((0..<Int.random(in: 0...maxLength, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
    }
}

/// One hostile request: a label for failure messages, and what goes on the wire.
struct BadRequest: Sendable {
    var label: String
    var method: HTTPRequest.Method
    var path: String
    var headers: HTTPFields = [:]
    var body: ByteBuffer?
}

/// Strings that must come back escaped, or not at all.
enum Hostile {
    static let script = #""><script>alert(1)</script>"#
    /// What a page may never contain: the marker as live markup.
    static let liveMarkup = "<script>alert("
    static let sql = "' OR 1=1 --"
    static let template = "{{mustache}}{{{triple}}}{{>partial}}"
    static let controls = "a\u{0}b\u{1}\u{1B}[31m\u{7F}\u{202E}\r\nSet-Cookie: injected=1"
    static let wrongTypes = ["-1", "0", "99999999999999999999999", "1e309", "NaN", "true", "null", "[]", "{}", "abc", "0x10"]
    static let pathSegments = [
        "%FF%FE", "%00", "..%2F..%2Fetc%2Fpasswd", "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", String(repeating: "a", count: 4000),
        "%27%20OR%201%3D1%20--", "%", "%E2%82",
    ]
    static let bodyLimit = 1024 * 1024
}

/// Builds the hostile variants of one route's request from its valid-looking form.
struct BadInputCases {
    let method: HTTPRequest.Method
    /// The route pattern as the router lists it (`/threads/{id}`), and a concrete path for it.
    let pattern: String
    let path: String
    let form: [String: String]
    let seed: UInt64

    /// Every variant for a form post; every query and path variant for the rest.
    func all() -> [BadRequest] {
        var cases = pathCases()
        if method == .get {
            cases += queryCases()
        } else {
            cases += formCases()
        }
        return cases
    }

    /// Each path parameter replaced by junk, in turn.
    func pathCases() -> [BadRequest] {
        let patternParts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let (pathOnly, query) = split(path)
        var pathParts = pathOnly.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard patternParts.count == pathParts.count else { return [] }
        var cases: [BadRequest] = []
        for (index, part) in patternParts.enumerated() where part.hasPrefix("{") {
            let original = pathParts[index]
            for junk in Hostile.pathSegments {
                pathParts[index] = junk
                cases.append(request("path parameter \(part) = \(junk.prefix(40))", pathParts.joined(separator: "/") + query))
            }
            pathParts[index] = original
        }
        return cases
    }

    /// Junk and duplicated query parameters, on top of the route's own.
    func queryCases() -> [BadRequest] {
        let (pathOnly, query) = split(path)
        let names = Set(query.dropFirst().split(separator: "&").compactMap { $0.split(separator: "=").first.map(String.init) })
            .union(["from", "to", "next", "page", "month", "before"]).sorted()
        func with(_ value: String) -> String { pathOnly + "?" + names.map { "\($0)=\(value)" }.joined(separator: "&") }
        let duplicated = pathOnly + "?" + names.flatMap { ["\($0)=1", "\($0)=2"] }.joined(separator: "&")
        return [
            request("query: invalid UTF-8", with("%FF%FE")),
            request("query: injection", with(encode(Hostile.script + Hostile.sql))),
            request("query: template", with(encode(Hostile.template))),
            request("query: controls", with(encode(Hostile.controls))),
            request("query: wrong types", with("-99999999999999999999")),
            request("query: duplicated parameters", duplicated),
            request("query: 8 KB values", with(String(repeating: "9", count: 8 * 1024))),
            request("query: broken escapes", with("%") + "&%%%=%G1"),
            request("query: offsite return", pathOnly + "?next=//evil.example&return_to=https://evil.example"),
        ]
    }

    func formCases() -> [BadRequest] {
        var generator = SeededGenerator(seed: seed)
        let fields = form.isEmpty ? ["note": "x"] : form
        let names = fields.keys.sorted()
        func each(_ value: (String) -> String) -> [(String, String)] { names.map { ($0, value($0)) } }
        var cases: [BadRequest] = [
            formPost("random bytes", body: ByteBuffer(bytes: generator.bytes(512))),
            formPost("invalid UTF-8, percent-encoded", body: raw(each { _ in "%C3%28%FF" })),
            formPost(
                "invalid UTF-8, raw bytes",
                body: ByteBuffer(bytes: Array(Browser.encode(fields).utf8) + [0x26, 0x78, 0x3D, 0xFF, 0xC3, 0x28])),
            formPost("100 KB fields", each { _ in String(repeating: "a", count: 100 * 1024) }),
            formPost("empty fields", each { _ in "" }),
            formPost("no fields", body: ByteBuffer()),
            formPost("each field twice, conflicting", names.flatMap { [($0, fields[$0]!), ($0, "other")] }),
            formPost("SQL injection", each { _ in Hostile.sql }),
            formPost("SQL injection, statement", each { _ in "x'); DROP TABLE users; --" }),
            formPost("HTML injection", each { _ in Hostile.script } + [(Hostile.script, Hostile.script)]),
            formPost("template syntax", each { _ in Hostile.template }),
            formPost("NUL and control characters", each { _ in Hostile.controls }),
            formPost("wrong types", each { _ in Hostile.wrongTypes.randomElement(using: &generator)! }),
            formPost("array syntax", body: raw(names.flatMap { [("\($0)[]", "a"), ("\($0)[x]", "b")] })),
            formPost("field names only", body: ByteBuffer(string: names.joined(separator: "&"))),
            request(
                "JSON instead of a form", path, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"# + names.map { #""\#($0)":["\#(Hostile.script)",{"a":1}]"# }.joined(separator: ",") + "}")),
            request(
                "multipart instead of a form", path, headers: [.contentType: "multipart/form-data; boundary=XyZ"],
                body: ByteBuffer(
                    string: names.map { "--XyZ\r\nContent-Disposition: form-data; name=\"\($0)\"\r\n\r\n\(Hostile.script)\r\n" }.joined()
                        + "--XyZ--\r\n")),
            request("form without a content type", path, body: ByteBuffer(string: Browser.encode(fields))),
            request(
                "form declared as text/plain", path, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ByteBuffer(string: Browser.encode(fields))),
            formPost("body over the limit", body: ByteBuffer(repeating: UInt8(ascii: "a"), count: Hostile.bodyLimit + 1)),
        ]
        for round in 0..<3 {
            cases.append(formPost("seeded random values #\(round)", each { _ in generator.text(maxLength: 300) }))
        }
        return cases
    }

    private func split(_ path: String) -> (String, String) {
        guard let mark = path.firstIndex(of: "?") else { return (path, "") }
        return (String(path[..<mark]), String(path[mark...]))
    }

    private func encode(_ value: String) -> String {
        Browser.encode(["v": value]).dropFirst(2).description
    }

    /// Pairs joined as a form body without encoding the values: for bytes no encoder would produce.
    private func raw(_ pairs: [(String, String)]) -> ByteBuffer {
        ByteBuffer(string: pairs.map { "\(encode($0.0))=\($0.1)" }.joined(separator: "&"))
    }

    private func formPost(_ label: String, _ pairs: [(String, String)]) -> BadRequest {
        formPost(label, body: ByteBuffer(string: pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")))
    }

    private func formPost(_ label: String, body: ByteBuffer) -> BadRequest {
        request(label, path, headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
    }

    private func request(_ label: String, _ path: String, headers: HTTPFields = [:], body: ByteBuffer? = nil) -> BadRequest {
        BadRequest(label: label, method: method, path: path, headers: headers, body: method == .get ? nil : body)
    }
}

/// Row counts and a checksum of every table's contents, read as the owner, to prove that a
/// refused request wrote nothing.
struct DatabaseFingerprint: Equatable {
    /// Columns that every request may move: a session's `last_seen_at` is refreshed as it is used,
    /// refused requests included (the visitor was there), so it is left out of the checksum.
    static let volatileColumns = ["last_seen_at"]

    var tables: [String: String]

    static func take(_ data: TestData) async throws -> DatabaseFingerprint {
        let names = try await data.rows(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1
            """
        ).map { try $0.decode(String.self) }
        let dropped = volatileColumns.map { "'\($0)'" }.joined(separator: ",")
        let query = names.map {
            """
            SELECT '\($0)', count(*)::text || ':' || md5(coalesce(string_agg((to_jsonb(t) - ARRAY[\(dropped)])::text, E'\\n'
                ORDER BY (to_jsonb(t) - ARRAY[\(dropped)])::text), '')) FROM \($0) t
            """
        }.joined(separator: " UNION ALL ")
        let rows = try await data.rows(PostgresQuery(unsafeSQL: query))
        return DatabaseFingerprint(tables: Dictionary(uniqueKeysWithValues: try rows.map { try $0.decode((String, String).self) }))
    }

    /// Tables whose contents differ from `other`'s.
    func changedTables(since other: DatabaseFingerprint) -> Set<String> {
        Set(tables.keys.filter { tables[$0] != other.tables[$0] })
    }
}

extension TestResponse {
    var isHTML: Bool { headers[.contentType]?.hasPrefix("text/html") ?? false }
}
