import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@Suite("Server: headers, errors, health, metrics, logs")
struct ServerBehaviourTests {
    func expectSecurityHeaders(_ response: TestResponse, hsts: Bool = false) {
        let csp = response.headers[.contentSecurityPolicy] ?? ""
        #expect(csp.contains("default-src 'self'"))
        #expect(csp.contains("frame-ancestors 'none'"))
        #expect(!csp.contains("unsafe-inline"))
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
        #expect(response.headers[.init("Referrer-Policy")!] == "same-origin")
        #expect((response.headers[.strictTransportSecurity] != nil) == hsts)
    }

    @Test func pagesErrorsAndFilesAllCarryTheSecurityHeaders() async throws {
        try await withApp { client in
            for path in ["/privacy", "/no-such-page", "/css/app.css", "/healthz", "/v1/models", "/v1/engines"] {
                expectSecurityHeaders(try await client.execute(uri: path, method: .get))
            }
        }
    }

    @Test func httpsDeploymentsAlsoSendStrictTransportSecurity() async throws {
        try await withApp(baseURL: "https://console.example.com") { client in
            let response = try await client.execute(uri: "/privacy", method: .get)
            expectSecurityHeaders(response, hsts: true)
            #expect(response.headers[.strictTransportSecurity]?.contains("max-age=") == true)
        }
    }

    @Test func headIsAnsweredLikeGetWithoutTheBody() async throws {
        try await withApp { client in
            let get = try await client.execute(uri: "/privacy", method: .get)
            let head = try await client.execute(uri: "/privacy", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            expectSecurityHeaders(head)
            #expect(try await client.execute(uri: "/dashboard", method: .head).status == .seeOther, "pages behind sign-in redirect")
            #expect(try await client.execute(uri: "/no/such/page", method: .head).status == .notFound)
            #expect(try await client.execute(uri: "/css/app.css", method: .head).status == .ok)
        }
    }

    @Test func anUnknownPageIsA404PageInTheLayout() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/no/such/page", method: .get)
            #expect(response.status == .notFound)
            #expect(response.text.contains("<h1>Page not found</h1>"))
            #expect(response.text.contains(#"<a href="/privacy">Privacy Policy</a>"#), "the footer is there")
        }
    }

    @Test func unknownAPIPathsAnswerInOpenAIsErrorShape() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/v1/engines", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: Any]]
            #expect(body?["error"]?["type"] as? String == "invalid_request_error")
            #expect(body?["error"]?["message"] as? String == "Unknown endpoint: POST /v1/engines")
        }
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsRead() async throws {
        try await withApp { client in
            let response = try await client.execute(
                uri: "/privacy", method: .post, headers: [:], body: ByteBuffer(repeating: UInt8(ascii: "a"), count: 1024 * 1024 + 1))
            #expect(response.status == .contentTooLarge)
            #expect(response.text.contains("Request too large"))
        }
    }

    @Test func staticFilesAreCacheableAndVersionedInPages() async throws {
        try await withApp { client in
            let css = try await client.execute(uri: "/css/app.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.cacheControl]?.contains("max-age=86400") == true)
            let page = try await client.execute(uri: "/privacy", method: .get)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.text.range(of: #"href="/css/app.css\?v=[0-9a-f]{12}""#, options: .regularExpression) != nil)
        }
    }

    @Test func livenessAndReadiness() async throws {
        try await withApp { client in
            let live = try await client.execute(uri: "/healthz", method: .get)
            #expect(live.status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(ready.text == "ready\n")
        }
    }

    @Test func whileTheDatabaseIsDownReadinessFailsAndPagesAnswer503Quickly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oag-readyz-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = EmbeddedPostgres(dataDirectory: directory, durable: false, logger: TestDatabase.logger)
        let settings = try await server.start()
        try await withApp(database: settings) { client in
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/privacy", method: .get).status == .ok)
            try await server.stop()

            let down = try await client.execute(uri: "/readyz", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(down.text == "database unreachable\n")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "liveness does not depend on the database")
            #expect(try await client.execute(uri: "/privacy", method: .get).status == .ok, "the current policy is served from memory")

            let started = ContinuousClock.now
            let uncached = try await client.execute(uri: "/privacy/versions", method: .get)
            #expect(uncached.status == .serviceUnavailable)
            #expect(uncached.headers[.retryAfter] == "5")
            #expect(uncached.text.contains("Temporarily unavailable"))
            #expect(ContinuousClock.now - started < .seconds(15), "fails within the query deadline, does not hang")

            _ = try await server.start()
            var status = try await client.execute(uri: "/readyz", method: .get).status
            for _ in 0..<120 where status != .ok {
                try await Task.sleep(for: .milliseconds(500))
                status = try await client.execute(uri: "/readyz", method: .get).status
            }
            #expect(status == .ok, "recovers without restarting the app")
            #expect(try await client.execute(uri: "/privacy/versions", method: .get).status == .ok)
        }
        try await server.stop()
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await withApp { client in
            _ = try await client.execute(uri: "/privacy/versions", method: .get)
            _ = try await client.execute(uri: "/privacy/versions/424242", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = metrics.text
            #expect(
                text.contains(#"hb_requests{http_route="/privacy/versions",http_request_method="GET",http_response_status_code="200"}"#))
            #expect(text.contains(#"http_route="/privacy/versions/{number}""#) && text.contains(#"http_response_status_code="404""#))
            #expect(text.contains("# TYPE http_server_request_duration histogram"))
        }
    }

    @Test func requestLogsCarryIdAndStatusButNoSecrets() async throws {
        let recorder = LogRecorder()
        try await withApp(logger: recorder.logger) { client in
            _ = try await client.execute(
                uri: "/privacy?code=oauth-code-secret&state=state-secret", method: .get,
                headers: [.cookie: "oag_session=cookie-secret", .authorization: "Bearer sk-key-secret"])
        }
        let logs = recorder.all
        let line = try #require(logs.split(separator: "\n").first { $0.contains("path=/privacy") })
        #expect(line.contains("status=200"))
        #expect(line.contains("method=GET"))
        #expect(line.contains("hb.request.id="))
        #expect(line.contains("duration_ms="))
        for secret in ["oauth-code-secret", "state-secret", "cookie-secret", "sk-key-secret"] {
            #expect(!logs.contains(secret))
        }
    }
}
