import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Synchronization
import TestSupport

/// A browser as tests see it: keeps cookies, fills in the `_csrf` field the way a page's form would.
final class Browser: Sendable {
    let client: any TestClientProtocol
    private let jar = Mutex<[String: String]>([:])

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    var cookies: [String: String] { jar.withLock { $0 } }

    func setCookie(_ name: String, _ value: String) { jar.withLock { $0[name] = value } }

    @discardableResult
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(path, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; the CSRF token is taken from `tokenFrom` (a page with a form), unless given.
    @discardableResult
    func post(
        _ path: String, _ fields: [String: String] = [:], csrf: String? = nil, tokenFrom page: String? = nil, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields = fields
        if fields["_csrf"] == nil {
            // Signed in, the account page has forms; signed out, the sign-in page does.
            let signedIn = cookies.keys.contains { $0.hasSuffix("oag_session") }
            if let csrf {
                fields["_csrf"] = csrf
            } else {
                fields["_csrf"] = try await token(from: page ?? (signedIn ? "/account" : "/login"))
            }
        }
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(path, method: .post, headers: headers, body: ByteBuffer(string: Self.encode(fields)))
    }

    /// The `_csrf` value of the first form on `page`.
    func token(from page: String) async throws -> String {
        let html = try await get(page).text
        guard let range = html.range(of: #"name="_csrf" value="([^"]*)""#, options: .regularExpression) else { return "" }
        return String(html[range].dropFirst(#"name="_csrf" value=""#.count).dropLast())
    }

    func send(_ path: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        let cookieHeader = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        if !cookieHeader.isEmpty, headers[.cookie] == nil { headers[.cookie] = cookieHeader }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";").first ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first else { continue }
            let value = parts.count > 1 ? parts[1] : ""
            let expired = header.contains("Max-Age=0")
            jar.withLock { $0[name] = expired ? nil : value }
        }
        return response
    }

    static func encode(_ fields: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }
            .map {
                "\($0.key.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
            }
            .joined(separator: "&")
    }
}

/// Direct database access for arranging and checking what tests need, as the owner role.
struct TestData {
    let settings: DatabaseSettings

    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query(query, logger: TestDatabase.logger).collect()
        }
    }

    func count(_ table: String, where condition: String = "true") async throws -> Int {
        try await rows(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE \(condition)")).first!.decode(Int.self)
    }
}

extension TestResponse {
    var location: String? { headers[.location] }
}

/// Two companies side by side, every role, and an operator: the fixture every access test uses.
struct World {
    static let password = "world password 123"
    private static let passwordHash = Task { try await PasswordHasher().hash(password) }

    enum Actor: String, CaseIterable, Sendable {
        case anonymous, member, admin, owner, otherOwner, platformOperator
    }

    let companyA = UUID()
    let companyB = UUID()
    let owner = UUID()
    let admin = UUID()
    let member = UUID()
    /// A member that access tests may change or remove.
    let target = UUID()
    let otherOwner = UUID()
    let platformOperator = UUID()
    /// Id of the pending invitation the permission matrix arranges in company A.
    let invitation = UUID()

    func email(_ user: UUID) -> String { "\(user.uuidString.prefix(8).lowercased())@world.test" }

    func user(for actor: Actor) -> UUID? {
        switch actor {
        case .anonymous: nil
        case .member: member
        case .admin: admin
        case .owner: owner
        case .otherOwner: otherOwner
        case .platformOperator: platformOperator
        }
    }

    func seed(_ data: TestData) async throws {
        let hash = try await Self.passwordHash.value
        for (id, name, isOperator) in [
            (owner, "Alice Owner", false), (admin, "Arthur Admin", false), (member, "Mona Member", false),
            (target, "Tess Target", false), (otherOwner, "Bob Owner", false), (platformOperator, "Olga Operator", true),
        ] {
            try await data.rows(
                "INSERT INTO users (id, email, name, password_hash, is_operator) VALUES (\(id), \(email(id)), \(name), \(hash), \(isOperator))"
            )
        }
        try await data.rows("INSERT INTO companies (id, name) VALUES (\(companyA), 'Company A'), (\(companyB), 'Company B')")
        for (company, user, role) in [
            (companyA, owner, "owner"), (companyA, admin, "admin"), (companyA, member, "member"), (companyA, target, "member"),
            (companyB, otherOwner, "owner"),
        ] {
            try await data.rows("INSERT INTO memberships (company_id, user_id, role) VALUES (\(company), \(user), \(role))")
        }
    }

    /// Signs `browser` in through the real form.
    func signIn(_ browser: Browser, as actor: Actor) async throws {
        guard let user = user(for: actor) else { return }
        let response = try await browser.post("/login", ["email": email(user), "password": Self.password])
        precondition(response.status == .seeOther, "sign-in as \(actor) failed: \(response.status)")
    }
}
