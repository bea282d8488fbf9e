import GatewayCore
import Testing

@Suite("Rendering policy Markdown")
struct MarkdownRendererTests {
    @Test func rendersHeadingsWithAnchorsListsAndLinks() {
        let rendered = MarkdownRenderer.render(
            """
            # Privacy Policy

            ## Data we hold

            - **Account** data
            - Usage records

            See [all versions](/privacy/versions).

            ### Service logs

            ## Data we hold
            """)
        #expect(rendered.headings.map(\.anchor) == ["privacy-policy", "data-we-hold", "service-logs", "data-we-hold-2"])
        #expect(rendered.headings.map(\.level) == [1, 2, 3, 2])
        #expect(rendered.html.contains(##"<h2 id="data-we-hold"><a class="anchor" href="#data-we-hold""##))
        #expect(rendered.html.contains(#"<h2 id="data-we-hold-2">"#))
        #expect(rendered.html.contains("<li><strong>Account</strong> data</li>"))
        #expect(rendered.html.contains(#"<a href="/privacy/versions">all versions</a>"#))
    }

    @Test func headingTextIsPlainAndSlugsAreASCII() {
        let rendered = MarkdownRenderer.render("## Your *rights* & `choices`\n\n## Änderungen ✓\n\n## ✓")
        #expect(rendered.headings.map(\.text) == ["Your rights & choices", "Änderungen ✓", "✓"])
        #expect(rendered.headings.map(\.anchor) == ["your-rights-choices", "nderungen", "section"])
    }

    @Test func rawHTMLAndScriptsAreNotRendered() {
        let rendered = MarkdownRenderer.render(
            """
            ## Hello <script>alert(1)</script>

            <script>alert('block')</script>

            <img src=x onerror=alert(1)>

            [click](javascript:alert(1)) and <b>bold</b>
            """)
        #expect(!rendered.html.contains("<script"))
        #expect(!rendered.html.contains("<img"))
        #expect(!rendered.html.contains("<b>"))
        #expect(!rendered.html.contains("javascript:"))
        #expect(!rendered.html.contains("onerror"))
        #expect(rendered.headings.first?.text == "Hello alert(1)", "tags are dropped from the contents entry, their text stays")
    }

    @Test func aHeadingLookalikeInCodeDoesNotTakeAnAnchor() {
        let rendered = MarkdownRenderer.render("```\n<h2>not a heading</h2>\n```\n\n## Real")
        #expect(rendered.html.contains("&lt;h2&gt;not a heading"))
        #expect(rendered.html.contains(#"<h2 id="real">"#))
    }
}
