import Foundation
import HummingbirdTesting
import PostgresNIO
import TestSupport
import Testing

@Suite("Public privacy pages")
struct PrivacyPageTests {
    @Test func thePolicyIsServedRenderedWithVersionDateAndContents() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/privacy", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let page = response.text
            #expect(page.contains("<title>Privacy Policy · OAG</title>"))
            #expect(page.contains("Version 1"))
            #expect(page.contains("Last updated <time datetime=\""))
            #expect(page.contains(#"<h2 id="data-we-hold">"#), "headings carry anchors")
            #expect(page.contains(##"<a href="#data-we-hold">Data we hold</a>"##), "the table of contents links to them")
            #expect(page.contains("AES-256-GCM"))
            #expect(!page.contains("{{"), "no template tag is left unrendered")
        }
    }

    @Test func everyVersionIsListedAndReadable() async throws {
        let settings = try await TestDatabase.fresh()
        try await withApp(database: settings) { client in
            try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query(
                    "INSERT INTO policy_versions (version, markdown, html) VALUES (2, '# Second', '<h1>Second</h1>')",
                    logger: TestDatabase.logger)
            }
            let list = try await client.execute(uri: "/privacy/versions", method: .get)
            #expect(list.status == .ok)
            #expect(list.text.contains(#"<a href="/privacy/versions/2">Version 2</a> <span class="badge badge--current">Current</span>"#))
            #expect(list.text.contains(#"<a href="/privacy/versions/1">Version 1</a>"#))

            let old = try await client.execute(uri: "/privacy/versions/1", method: .get)
            #expect(old.status == .ok)
            #expect(old.text.contains("You are reading version 1, which has been replaced."))
            #expect(old.text.contains("Read the current policy (version 2)"))
        }
    }

    @Test(arguments: [
        "/privacy/versions/9", "/privacy/versions/0", "/privacy/versions/-1", "/privacy/versions/abc",
        "/privacy/versions/99999999999999999999",
    ])
    func anUnknownVersionIsTheNotFoundPage(_ path: String) async throws {
        try await withApp { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .notFound)
            #expect(response.text.contains("Error 404"))
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test func theStartPageLeadsToThePolicy() async throws {
        try await withApp { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/privacy")
        }
    }
}
