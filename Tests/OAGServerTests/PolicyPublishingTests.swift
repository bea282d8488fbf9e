import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Operators publish policy versions on `/admin/policy`; users are told about significant ones and acknowledge them.
@Suite("Policy versions: publishing, notices, acknowledgements")
struct PolicyPublishingTests {
    static let notice = "Our privacy policy changed"

    func signedIn(_ actor: World.Actor, _ world: World, _ client: any TestClientProtocol) async throws -> Browser {
        let browser = Browser(client)
        try await world.signIn(browser, as: actor)
        return browser
    }

    /// Publishes through the form, building on the current version (1 unless given).
    @discardableResult
    func publish(
        _ browser: Browser, markdown: String = "# Privacy\n\nWe now also keep invoices.\n", summary: String = "We keep invoices.",
        significant: Bool, base: Int = 1
    ) async throws -> TestResponse {
        var fields = ["markdown": markdown, "summary": summary, "base_version": String(base)]
        if significant { fields["significant"] = "on" }
        return try await browser.post("/admin/policy", fields, tokenFrom: "/admin/policy")
    }

    @Test func aSignificantChangeIsAnnouncedUntilAcknowledged() async throws {
        try await withWorld { world, data, client in
            let member = try await signedIn(.member, world, client)
            #expect(!(try await member.get("/dashboard").text.contains(Self.notice)), "the first version needs no acknowledgement")

            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            let editor = try await operatorBrowser.get("/admin/policy")
            #expect(editor.status == .ok)
            #expect(editor.text.contains("Publish version 2"))
            #expect(editor.text.contains("Data we hold"), "the form starts from the current text")
            let published = try await publish(operatorBrowser, significant: true)
            #expect(published.status == .seeOther)
            #expect(published.location == "/admin/policy")
            #expect(try await operatorBrowser.get("/admin/policy").text.contains("The new version of the privacy policy is published."))
            let row = try await data.rows("SELECT summary, significant, published_by, html FROM policy_versions WHERE version = 2")
            let (summary, significant, publishedBy, html) = try row[0].decode((String, Bool, UUID?, String).self)
            #expect(summary == "We keep invoices." && significant && publishedBy == world.platformOperator)
            #expect(html.contains("<p>We now also keep invoices.</p>"), "HTML is rendered once, at publication")
            #expect(!(try await operatorBrowser.get("/admin").text.contains(Self.notice)), "the publisher has read it")

            for page in ["/dashboard", "/account", "/threads", "/privacy"] {
                let text = try await member.get(page).text
                #expect(text.contains("\(Self.notice) (version 2).</strong> We keep invoices."), "notice on \(page)")
                #expect(text.contains(#"<a href="/privacy/diff?from=1&amp;to=2">What changed</a>"#), "on \(page)")
            }
            let dashboard = try await member.get("/dashboard").text
            #expect(dashboard.contains("The privacy policy changed in version 2: We keep invoices."), "the dashboard lists the notice")
            #expect(try await data.count("policy_acknowledgements", where: "user_id = '\(world.member)'") == 0)

            let acknowledged = try await member.post(
                "/account/policy/acknowledge", ["version": "2", "return_to": "/threads"], tokenFrom: "/dashboard")
            #expect(acknowledged.status == .seeOther)
            #expect(acknowledged.location == "/threads")
            let after = try await member.get("/threads").text
            #expect(!after.contains(Self.notice))
            #expect(after.contains("Thank you. Your acknowledgement of the privacy policy is recorded."))
            #expect(try await data.count("policy_acknowledgements", where: "user_id = '\(world.member)' AND version = 2") == 1)
            let recorded = try await data.rows(
                "SELECT acknowledged_at > now() - interval '1 minute' FROM policy_acknowledgements WHERE user_id = \(world.member)")
            #expect(try recorded[0].decode(Bool.self), "the time is recorded")

            let notifications = try await member.get("/account/notifications").text
            #expect(notifications.contains("You acknowledged it on"))
            #expect(notifications.contains("We keep invoices."))
            #expect(notifications.contains("In force when you joined"), "version 1 is listed as the policy at sign-up")

            let owner = try await signedIn(.owner, world, client)
            #expect(try await owner.get("/dashboard").text.contains(Self.notice), "others still see theirs")
            let ownerNotifications = try await owner.get("/account/notifications").text
            #expect(ownerNotifications.contains("Waiting for your acknowledgement"))
            #expect(ownerNotifications.contains(#"<button class="button button--small" type="submit">Acknowledge"#))
        }
    }

    @Test func aMinorChangeShowsNoNoticeButIsListed() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            #expect(try await publish(operatorBrowser, significant: false).status == .seeOther)
            let member = try await signedIn(.member, world, client)
            #expect(!(try await member.get("/dashboard").text.contains(Self.notice)))
            let notifications = try await member.get("/account/notifications").text
            #expect(notifications.contains("Minor change, nothing to acknowledge"))
            let policy = try await member.get("/privacy").text
            #expect(policy.contains("What changed in version 2"))
            #expect(policy.contains("We keep invoices."))
        }
    }

    @Test func someoneWhoJoinsAfterTheChangeIsNotAskedToAcknowledgeIt() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            #expect(try await publish(operatorBrowser, significant: true).status == .seeOther)
            let newcomer = Browser(client)
            let signUp = try await newcomer.post(
                "/signup", ["email": "new@world.test", "password": "a long enough password", "name": "Nina New", "company_name": "New Co"])
            #expect(signUp.status == .seeOther)
            #expect(!(try await newcomer.get("/dashboard").text.contains(Self.notice)))
            let notifications = try await newcomer.get("/account/notifications").text
            #expect(notifications.contains("In force when you joined"))
            #expect(!notifications.contains("Version 1<"), "versions before joining, other than the one in force, are not listed")
        }
    }

    @Test func onlyOperatorsMayEditThePolicy() async throws {
        try await withWorld { world, data, client in
            let owner = try await signedIn(.owner, world, client)
            #expect(try await owner.get("/admin/policy").status == .forbidden)
            let posted = try await owner.post(
                "/admin/policy", ["markdown": "# Mine", "summary": "Taken over", "significant": "on", "base_version": "1"])
            #expect(posted.status == .forbidden)
            #expect(try await owner.post("/admin/policy/preview", ["markdown": "# Mine"]).status == .forbidden)
            #expect(try await data.count("policy_versions") == 1)
        }
    }

    @Test func badDraftsAreRefusedNextToTheirFieldsAndPublishNothing() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            let empty = try await publish(operatorBrowser, markdown: "  \r\n ", summary: "", significant: true)
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains(#"<p id="markdown-error" class="field-error">Write the text of the policy.</p>"#))
            #expect(empty.text.contains(#"<p id="summary-error" class="field-error">Say in a sentence what changed.</p>"#))
            #expect(
                empty.text.contains(#"id="significant" name="significant" type="checkbox" aria-describedby="significant-hint" checked"#))

            let longSummary = try await publish(operatorBrowser, summary: String(repeating: "x", count: 201), significant: false)
            #expect(longSummary.status == .unprocessableContent)
            #expect(longSummary.text.contains("Use at most 200 characters."))

            let huge = try await publish(operatorBrowser, markdown: String(repeating: "word ", count: 50_000), significant: false)
            #expect(huge.status == .unprocessableContent)
            #expect(huge.text.contains("The policy is too long: at most 200 KB of Markdown."))

            let nul = try await publish(operatorBrowser, markdown: "# Policy\u{0}", significant: false)
            #expect(nul.status == .unprocessableContent)
            #expect(nul.text.contains("Remove the control characters."))

            let shipped = try String(contentsOfFile: TestDatabase.repositoryRoot + "/Content/privacy-policy.md", encoding: .utf8)
            let unchanged = try await publish(
                operatorBrowser, markdown: shipped.replacingOccurrences(of: "\n", with: "\r\n"), significant: false)
            #expect(unchanged.status == .unprocessableContent, "CRLF from the browser is the same text")
            #expect(unchanged.text.contains("This is the text of version 1 already."))

            let overBodyLimit = try await operatorBrowser.post(
                "/admin/policy", ["markdown": String(repeating: "a", count: 1024 * 1024 + 1), "summary": "Big"], tokenFrom: "/admin/policy")
            #expect(overBodyLimit.status == .contentTooLarge)
            #expect(try await data.count("policy_versions") == 1)
        }
    }

    @Test func twoOperatorsPublishingAtOnceGetOneVersionAndAClearMessage() async throws {
        try await withWorld { world, data, client in
            let first = try await signedIn(.platformOperator, world, client)
            let second = try await signedIn(.platformOperator, world, client)
            async let a = publish(first, markdown: "# A\n", summary: "Version A", significant: false)
            async let b = publish(second, markdown: "# B\n", summary: "Version B", significant: false)
            let statuses = [try await a, try await b].map(\.status)
            #expect(statuses.sorted { $0.code < $1.code } == [.seeOther, .unprocessableContent])
            #expect(try await data.count("policy_versions") == 2)

            let late = try await publish(second, markdown: "# C\n", summary: "Version C", significant: false, base: 1)
            #expect(late.status == .unprocessableContent)
            #expect(late.text.contains("Another operator published version 2 while you were editing."))
            #expect(late.text.contains(#"name="base_version" value="2""#), "the form now builds on the version that won")
            #expect(late.text.contains("# C"), "the operator's text is kept")
            #expect(try await publish(second, markdown: "# C\n", summary: "Version C", significant: false, base: 2).status == .seeOther)
            #expect(try await data.count("policy_versions") == 3)
        }
    }

    @Test func previewRendersTheDraftWithAndWithoutJavaScript() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            let page = try await operatorBrowser.post(
                "/admin/policy", ["markdown": "# Draft\n\n*New* text", "summary": "", "base_version": "1", "preview": "1"],
                tokenFrom: "/admin/policy")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<h1 id="draft">"#) && page.text.contains("<em>New</em> text"))
            #expect(page.text.contains("*New* text</textarea>"), "the draft stays in the form")
            #expect(!page.text.contains("field-error"), "previewing does not ask for a summary yet")
            let fragment = try await operatorBrowser.post(
                "/admin/policy/preview", ["markdown": "Some **bold**"], tokenFrom: "/admin/policy")
            #expect(fragment.status == .ok)
            #expect(fragment.text.trimmingCharacters(in: .whitespacesAndNewlines) == "<p>Some <strong>bold</strong></p>")
            let empty = try await operatorBrowser.post("/admin/policy/preview", ["markdown": ""], tokenFrom: "/admin/policy")
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains("Write the text of the policy."))
            #expect(try await operatorBrowser.post("/admin/policy/preview", ["markdown": "x"], csrf: "forged").status == .forbidden)
            #expect(try await data.count("policy_versions") == 1)
        }
    }

    static let hostile = """
        # Policy <script>alert('h1')</script>

        <script>alert(1)</script>

        <img src=x onerror=alert(2)>

        [click](javascript:alert(3)) and [data](data:text/html;base64,PHNjcmlwdD4=)

        <a href="#" onclick="alert(4)">raw link</a> <iframe src="https://evil.example"></iframe>

        ![image](javascript:alert(5))
        """

    /// What must never reach a page as markup, from `hostile`.
    func expectNoActiveContent(_ html: String, _ page: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for forbidden in [
            "<script>alert", "<img src=x", "<iframe", "href=\"javascript:", "src=\"javascript:", "href=\"data:", "onclick=\"alert",
        ] {
            #expect(!html.contains(forbidden), "\(forbidden) on \(page)", sourceLocation: sourceLocation)
        }
    }

    @Test func hostileMarkdownRendersSafelyEverywhere() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            let preview = try await operatorBrowser.post("/admin/policy/preview", ["markdown": Self.hostile], tokenFrom: "/admin/policy")
            expectNoActiveContent(preview.text, "the live preview")
            let previewPage = try await operatorBrowser.post(
                "/admin/policy", ["markdown": Self.hostile, "summary": "", "base_version": "1", "preview": "1"], tokenFrom: "/admin/policy")
            expectNoActiveContent(previewPage.text, "the preview page")
            #expect(previewPage.text.contains("\n&lt;script&gt;alert(1)&lt;/script&gt;\n"), "the textarea holds it escaped")

            let summary = "<b>bold</b> & \"quoted\""
            #expect(try await publish(operatorBrowser, markdown: Self.hostile, summary: summary, significant: true).status == .seeOther)
            let anonymous = try await client.execute(uri: "/privacy", method: .get).text
            expectNoActiveContent(anonymous, "/privacy")
            #expect(anonymous.contains("raw HTML omitted"), "libcmark's safe mode drops raw HTML")
            #expect(anonymous.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"), "the summary is escaped")

            let member = try await signedIn(.member, world, client)
            let withNotice = try await member.get("/dashboard").text
            expectNoActiveContent(withNotice, "the notice")
            #expect(!withNotice.contains("<b>bold</b>"))

            let diff = try await client.execute(uri: "/privacy/diff?from=1&to=2", method: .get)
            #expect(diff.status == .ok)
            expectNoActiveContent(diff.text, "the diff")
            #expect(diff.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the diff shows the Markdown as text")
            expectNoActiveContent(try await member.get("/account/notifications").text, "notifications")
        }
    }

    /// Tricks `hostile` does not try: schemes hidden behind entities, case or whitespace, links by
    /// reference and autolink, a heading meant to break out of the table of contents, and nesting
    /// deep enough to hurt a recursive renderer.
    static let obfuscated =
        """
        # Heading "><script>alert(6)</script>

        [entity](&#106;avascript:alert(7)) [case](JaVaScRiPt:alert(8)) [vb](vbscript:msgbox(9)) [tab](java\tscript:alert(10))

        [by reference][evil] and <javascript:alert(11)>

        [evil]: javascript:alert(12)

        """ + String(repeating: "> ", count: 2000) + "deep\n\n" + String(repeating: "*[", count: 5000) + "\n"

    @Test func obfuscatedAndDeeplyNestedMarkdownRendersSafelyOnEveryPolicyPage() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            #expect(
                try await publish(operatorBrowser, markdown: Self.obfuscated, summary: "Tricks", significant: false).status == .seeOther)
            for page in ["/privacy", "/privacy/versions/2", "/privacy/diff?from=1&to=2"] {
                let response = try await client.execute(uri: page, method: .get)
                #expect(response.status == .ok, "\(page)")
                expectNoActiveContent(response.text, page)
                for scheme in ["href=\"vbscript:", "href=\"javascript", "href=\"JaVaScRiPt", "href=\"java\tscript"] {
                    #expect(!response.text.lowercased().contains(scheme.lowercased()), "\(scheme) on \(page)")
                }
            }
            let policy = try await client.execute(uri: "/privacy", method: .get).text
            #expect(
                policy.contains("alert(6)"), "the heading's text is shown, its markup is not")
            #expect(try await data.count("policy_versions") == 2)
        }
    }

    @Test func versionsAreListedWithSummariesAndCompared() async throws {
        try await withWorld { world, data, client in
            let operatorBrowser = try await signedIn(.platformOperator, world, client)
            let shipped = try String(contentsOfFile: TestDatabase.repositoryRoot + "/Content/privacy-policy.md", encoding: .utf8)
            let edited = shipped.replacingOccurrences(of: "## Data we hold", with: "## Data we hold\n\nWe also keep invoices.")
            #expect(
                try await publish(operatorBrowser, markdown: edited, summary: "Invoices are kept.", significant: true).status == .seeOther)

            let list = try await client.execute(uri: "/privacy/versions", method: .get).text
            #expect(list.contains("<td>Invoices are kept.</td>") && list.contains("<td>First published version.</td>"))
            #expect(list.contains(#"<form class="form-row" method="get" action="/privacy/diff">"#))
            #expect(list.contains(#"<option value="1" selected>Version 1</option>"#), "from the previous version")
            #expect(list.contains(#"<option value="2" selected>Version 2</option>"#), "to the current one")

            let diff = try await client.execute(uri: "/privacy/diff?from=1&to=2", method: .get)
            #expect(diff.status == .ok)
            #expect(diff.text.contains("2 lines added, 0 lines removed"), "the paragraph and the blank line before it")
            #expect(
                diff.text.contains(
                    #"<ins class="diff__line diff__line--inserted"><span class="visually-hidden">Added: </span>We also keep invoices.</ins>"#
                ))
            #expect(diff.text.contains(#"<span class="diff__line diff__line--folded">… 3 lines unchanged …</span>"#), "the rest is folded")
            let reverse = try await client.execute(uri: "/privacy/diff?from=2&to=1", method: .get)
            #expect(
                reverse.text.contains(
                    #"<del class="diff__line diff__line--deleted"><span class="visually-hidden">Removed: </span>We also keep invoices.</del>"#
                ))

            let policy = try await client.execute(uri: "/privacy", method: .get).text
            #expect(policy.contains("What changed in version 2"))
            #expect(policy.contains(#"<a href="/privacy/diff?from=1&amp;to=2">"#))
        }
    }

    @Test(arguments: [
        ("/privacy/diff", 400), ("/privacy/diff?from=1", 400), ("/privacy/diff?from=a&to=1", 400), ("/privacy/diff?from=1&to=1", 400),
        ("/privacy/diff?from=1&to=9", 404), ("/privacy/diff?from=0&to=1", 404), ("/privacy/diff?from=-1&to=1", 404),
        ("/privacy/diff?from=1&to=99999999999999999999", 400),
    ])
    func badComparisonsAreClearErrors(_ path: String, _ status: Int) async throws {
        try await withApp { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status.code == status, "\(path)")
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test func acknowledgingAnUnknownVersionChangesNothing() async throws {
        try await withWorld { world, data, client in
            let member = try await signedIn(.member, world, client)
            #expect(try await member.post("/account/policy/acknowledge", ["version": "9"]).status == .notFound)
            #expect(try await member.post("/account/policy/acknowledge", ["version": "x"]).status == .badRequest)
            let offsite = try await member.post("/account/policy/acknowledge", ["version": "1", "return_to": "//evil.example"])
            #expect(offsite.location == "/dashboard", "only paths on this site")
            #expect(try await data.count("policy_acknowledgements") == 1)
        }
    }
}
