import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import OAGServer
import PostgresNIO
import TestSupport
import Testing
import WebConsole

/// Every registered route × every kind of visitor → the status they must get.
/// A route added without a row here fails `everyRouteHasARow`.
@Suite("Permission matrix")
struct PermissionMatrixTests {
    typealias Actor = World.Actor

    /// How to call a route: the concrete path and form, and the expected status per actor.
    struct Row: Sendable {
        let path: @Sendable (World) -> String
        let form: @Sendable (World) -> [String: String]
        let expected: [Actor: Int]

        init(
            _ path: @escaping @Sendable (World) -> String, form: @escaping @Sendable (World) -> [String: String] = { _ in [:] },
            _ expected: [Actor: Int]
        ) {
            self.path = path
            self.form = form
            self.expected = expected
        }

        init(_ path: String, form: [String: String] = [:], _ expected: [Actor: Int]) {
            self.init({ _ in path }, form: { _ in form }, expected)
        }
    }

    static let invitationToken = "matrixInvitationToken0000000000000000000000"

    static func all(_ status: Int) -> [Actor: Int] { Dictionary(uniqueKeysWithValues: Actor.allCases.map { ($0, status) }) }
    static func signedIn(_ status: Int, anonymous: Int = 303) -> [Actor: Int] { all(status).merging([.anonymous: anonymous]) { $1 } }
    static func company(member: Int, admin: Int, owner: Int, otherOwner: Int) -> [Actor: Int] {
        [.anonymous: 303, .member: member, .admin: admin, .owner: owner, .otherOwner: otherOwner, .platformOperator: 403]
    }

    /// Keys are "METHOD /path" as the router lists them. Order matters within one world: sign-out last.
    static let rows: KeyValuePairs<String, Row> = [
        "GET /": Row("/", all(303)),
        "GET /privacy": Row("/privacy", all(200)),
        "GET /privacy/versions": Row("/privacy/versions", all(200)),
        "GET /privacy/versions/{number}": Row("/privacy/versions/1", all(200)),
        "GET /privacy/diff": Row("/privacy/diff?from=1&to=2", all(200)),
        "GET /signup": Row("/signup", signedIn(303, anonymous: 200)),
        "GET /login": Row("/login", signedIn(303, anonymous: 200)),
        "GET /invitations/{token}": Row("/invitations/\(invitationToken)", all(200)),
        "GET /account": Row("/account", signedIn(200)),
        "GET /account/notifications": Row("/account/notifications", signedIn(200)),
        "GET /dashboard": Row("/dashboard", company(member: 200, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/members": Row("/company/members", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/audit": Row("/company/audit", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /account/integrations": Row("/account/integrations", company(member: 200, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/integrations": Row("/company/integrations", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        // No provider is configured here: connecting and checking are refused as a conflict, callbacks fail their state.
        "GET /account/integrations/{provider}/callback": Row(
            "/account/integrations/google/callback?state=\(invitationToken)&code=x",
            company(member: 400, admin: 400, owner: 400, otherOwner: 400)),
        "GET /auth/{provider}/start": Row("/auth/google/start", signedIn(303, anonymous: 409)),
        "GET /auth/{provider}/callback": Row("/auth/github/callback?state=\(invitationToken)&code=x", all(400)),
        "GET /admin": Row("/admin", [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 200]),
        "GET /healthz": Row("/healthz", all(200)),
        "GET /readyz": Row("/readyz", all(200)),
        "GET /metrics": Row("/metrics", all(200)),
        // The API authenticates with keys, not sessions: no key is a 401 for everyone.
        "GET /v1/models": Row("/v1/models", all(401)),
        "POST /v1/chat/completions": Row("/v1/chat/completions", all(401)),
        "GET /v1/**": Row("/v1/engines", all(404)),
        "POST /v1/**": Row("/v1/completions", all(404)),
        "PUT /v1/**": Row("/v1/anything", all(404)),
        "PATCH /v1/**": Row("/v1/anything", all(404)),
        "DELETE /v1/**": Row("/v1/anything", all(404)),
        "POST /account": Row("/account", form: ["name": "Renamed Person"], signedIn(303)),
        "POST /account/email/cancel": Row("/account/email/cancel", signedIn(303)),
        "GET /account/email/confirm/{token}": Row("/account/email/confirm/\(invitationToken)", signedIn(404)),
        "POST /account/email/confirm/{token}": Row("/account/email/confirm/\(invitationToken)", signedIn(404)),
        "POST /account/password": Row(
            "/account/password", form: ["current_password": "wrong password!", "new_password": "x"], signedIn(422)),
        "POST /company/switch": Row(
            { _ in "/company/switch" }, form: { ["company_id": $0.companyA.uuidString] },
            company(member: 303, admin: 303, owner: 303, otherOwner: 404)),
        "POST /company/invitations": Row(
            "/company/invitations", form: ["email": "fresh@world.test", "role": "member"],
            company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "POST /company/members/{id}/role": Row(
            { SitePaths.memberRole($0.target) }, form: { _ in ["role": "member"] },
            company(member: 403, admin: 303, owner: 303, otherOwner: 404)),
        "POST /company/members/{id}/remove": Row(
            { SitePaths.memberRemoval($0.target) },
            company(member: 403, admin: 303, owner: 303, otherOwner: 404)),
        "POST /account/integrations/{provider}/connect": Row(
            "/account/integrations/google/connect", form: ["scopes": "drive"], company(member: 409, admin: 409, owner: 409, otherOwner: 409)
        ),
        "POST /account/integrations/{provider}/check": Row(
            "/account/integrations/gitlab/check", company(member: 409, admin: 409, owner: 409, otherOwner: 409)),
        "POST /account/integrations/{provider}/disconnect": Row(
            "/account/integrations/yandex/disconnect", company(member: 404, admin: 404, owner: 404, otherOwner: 404)),
        "GET /company/api-keys": Row("/company/api-keys", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "POST /company/api-keys": Row(
            "/company/api-keys", form: ["name": ""], company(member: 403, admin: 422, owner: 422, otherOwner: 422)),
        "POST /company/api-keys/{id}/revoke": Row(
            "/company/api-keys/\(UUID())/revoke", company(member: 403, admin: 404, owner: 404, otherOwner: 404)),
        "GET /company/providers": Row("/company/providers", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "POST /company/providers": Row(
            "/company/providers", form: ["provider": "openai", "api_key": "x"],
            company(member: 403, admin: 422, owner: 422, otherOwner: 422)),
        "GET /threads": Row("/threads", company(member: 200, admin: 200, owner: 200, otherOwner: 200)),
        "POST /threads": Row("/threads", form: ["title": ""], company(member: 422, admin: 422, owner: 422, otherOwner: 422)),
        "GET /threads/{id}": Row("/threads/\(UUID())", company(member: 404, admin: 404, owner: 404, otherOwner: 404)),
        "POST /threads/{id}/messages": Row(
            "/threads/\(UUID())/messages", form: ["content": "hi"], company(member: 404, admin: 404, owner: 404, otherOwner: 404)),
        "POST /threads/{id}/rename": Row(
            "/threads/\(UUID())/rename", form: ["title": "x"], company(member: 404, admin: 404, owner: 404, otherOwner: 404)),
        "POST /threads/{id}/delete": Row("/threads/\(UUID())/delete", company(member: 404, admin: 404, owner: 404, otherOwner: 404)),
        "GET /account/export": Row("/account/export", signedIn(200)),
        "GET /account/deletion-requests": Row("/account/deletion-requests", signedIn(200)),
        "POST /account/deletion-requests": Row("/account/deletion-requests", form: ["scope": "everything"], signedIn(422)),
        "POST /account/deletion-requests/{id}/cancel": Row("/account/deletion-requests/\(UUID())/cancel", signedIn(404)),
        "GET /account/deletion-requests/{id}/receipt": Row("/account/deletion-requests/\(UUID())/receipt", signedIn(404)),
        "GET /deletion-receipts/{token}": Row("/deletion-receipts/\(invitationToken)", all(404)),
        "GET /company/deletion-requests": Row(
            "/company/deletion-requests", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /admin/deletion-requests": Row(
            "/admin/deletion-requests", [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 200]),
        "POST /admin/deletion-requests/{id}/approve": Row(
            "/admin/deletion-requests/\(UUID())/approve",
            [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 404]),
        "POST /admin/deletion-requests/{id}/reject": Row(
            "/admin/deletion-requests/\(UUID())/reject", form: ["reason": "No"],
            [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 404]),
        "GET /admin/maintenance": Row(
            "/admin/maintenance", [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 200]),
        "GET /admin/models": Row(
            "/admin/models", [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 200]),
        "POST /admin/models/{id}": Row(
            "/admin/models/gpt-4o-mini", form: ["input_price": "x"],
            [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 422]),
        "GET /usage": Row("/usage", company(member: 200, admin: 200, owner: 200, otherOwner: 200)),
        "GET /usage.csv": Row("/usage.csv", company(member: 200, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/usage": Row("/company/usage", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/usage.csv": Row("/company/usage.csv", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/usage/requests": Row("/company/usage/requests", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /company/billing": Row("/company/billing", company(member: 403, admin: 200, owner: 200, otherOwner: 200)),
        "GET /admin/policy": Row(
            "/admin/policy", [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 200]),
        "POST /admin/policy": Row(
            "/admin/policy", form: ["markdown": "", "summary": ""],
            [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 422]),
        "POST /admin/policy/preview": Row(
            "/admin/policy/preview", form: ["markdown": "# Matrix"],
            [.anonymous: 303, .member: 403, .admin: 403, .owner: 403, .otherOwner: 403, .platformOperator: 200]),
        "POST /account/policy/acknowledge": Row("/account/policy/acknowledge", form: ["version": "2"], signedIn(303)),
        "POST /signup": Row("/signup", form: ["email": "bad"], all(422)),
        "POST /login": Row("/login", form: ["email": "nobody@world.test", "password": "wrong password!"], all(401)),
        "POST /invitations/{token}": Row("/invitations/\(invitationToken)", form: ["name": ""], all(422)),
        "POST /company/invitations/{id}/revoke": Row(
            { SitePaths.invitationRevocation($0.invitation) },
            company(member: 403, admin: 303, owner: 303, otherOwner: 404)),
        "POST /logout": Row("/logout", all(303)),
    ]

    @Test func everyRouteHasARow() async throws {
        let settings = try await TestDatabase.fresh()
        let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: TestDatabase.logger)
        let database = Database(client: client, logger: TestDatabase.logger)
        let config = AppConfig(resourcesDirectory: TestDatabase.repositoryRoot, masterKeys: TestDatabase.masterKeys)
        let outbound = OutboundHTTP(config: config)
        let services = try await makeConsoleServices(config: config, database: database, outbound: outbound, logger: TestDatabase.logger)
        try await outbound.shutdown()
        let router = buildRouter(config: config, services: services, database: database, logger: TestDatabase.logger)
        let registered = Set(router.routes.map { "\($0.method) \($0.path)" })
        let described = Set(Self.rows.map(\.key))
        #expect(registered.subtracting(described) == [], "routes without a row in the permission matrix")
        #expect(described.subtracting(registered) == [], "rows for routes that no longer exist")
    }

    @Test(arguments: Actor.allCases)
    func eachVisitorGetsExactlyWhatTheMatrixSays(_ actor: Actor) async throws {
        try await withWorld { world, data, client in
            try await data.rows(
                """
                INSERT INTO invitations (company_id, id, email, role, token_hash, expires_at)
                VALUES (\(world.companyA), \(world.invitation), 'invitee@world.test', 'member',
                        sha256(convert_to(\(Self.invitationToken), 'UTF8')), now() + interval '1 day')
                """)
            try await data.rows(
                "INSERT INTO policy_versions (version, markdown, html, summary) VALUES (2, '# Two', '<h1>Two</h1>', 'Second version')")
            let browser = Browser(client)
            try await world.signIn(browser, as: actor)
            for (route, row) in Self.rows {
                let method = route.split(separator: " ")[0]
                let path = row.path(world)
                let response: TestResponse
                if method == "GET" {
                    response = try await browser.get(path)
                } else if path.hasPrefix("/v1/") {
                    response = try await client.execute(
                        uri: path, method: HTTPRequest.Method(String(method))!, body: ByteBuffer(string: "{}"))
                } else {
                    let token = try await browser.token(from: browser.cookies.keys.contains("oag_session") ? "/account" : "/login")
                    response = try await browser.post(path, row.form(world), csrf: token)
                }
                #expect(response.status.code == row.expected[actor], "\(route) as \(actor)")
            }
        }
    }
}
