import CMark
import Foundation

/// A heading of a rendered document, for its table of contents.
public struct Heading: Sendable, Equatable, Codable {
    public var level: Int
    public var text: String
    public var anchor: String
}

public struct RenderedMarkdown: Sendable, Equatable {
    public var html: String
    public var headings: [Heading]
}

/// Markdown to HTML with libcmark in safe mode: raw HTML and `javascript:` links are dropped.
public enum MarkdownRenderer {
    public static func render(_ markdown: String) -> RenderedMarkdown {
        let options = CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8
        guard let document = cmark_parse_document(markdown, markdown.utf8.count, options) else {
            return RenderedMarkdown(html: "", headings: [])
        }
        defer { cmark_node_free(document) }
        let headings = collectHeadings(in: document)
        guard let rendered = cmark_render_html(document, options) else {
            return RenderedMarkdown(html: "", headings: headings)
        }
        defer { free(rendered) }
        return RenderedMarkdown(html: addAnchors(to: String(cString: rendered), headings: headings), headings: headings)
    }

    private static func collectHeadings(in document: OpaquePointer) -> [Heading] {
        var headings: [Heading] = []
        var usedAnchors: [String: Int] = [:]
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator),
                cmark_node_get_type(node) == CMARK_NODE_HEADING
            else { continue }
            let text = plainText(of: node)
            var anchor = slug(text)
            if let count = usedAnchors[anchor] {
                usedAnchors[anchor] = count + 1
                anchor += "-\(count + 1)"
            } else {
                usedAnchors[anchor] = 1
            }
            headings.append(Heading(level: Int(cmark_node_get_heading_level(node)), text: text, anchor: anchor))
        }
        return headings
    }

    private static func plainText(of node: OpaquePointer) -> String {
        var text = ""
        let iterator = cmark_iter_new(node)
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let child = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(child) {
            case CMARK_NODE_TEXT, CMARK_NODE_CODE:
                if let literal = cmark_node_get_literal(child) { text += String(cString: literal) }
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
                text += " "
            default:
                break
            }
        }
        return text
    }

    /// Lowercase ASCII letters and digits joined by hyphens; "section" when nothing is left.
    static func slug(_ text: String) -> String {
        var slug = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, slug.last != "-" {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "section" : slug
    }

    /// Gives each `<hN>` an id and a self-link, in document order.
    ///
    /// Safe mode escapes every `<` that did not come from cmark itself, so each
    /// literal `<hN>` in the output is one of the headings collected above.
    private static func addAnchors(to html: String, headings: [Heading]) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count + headings.count * 80)
        var rest = Substring(html)
        for heading in headings {
            let opening = "<h\(heading.level)>"
            guard let range = rest.range(of: opening) else { break }
            output += rest[..<range.lowerBound]
            output += "<h\(heading.level) id=\"\(heading.anchor)\">"
            output += "<a class=\"anchor\" href=\"#\(heading.anchor)\" aria-hidden=\"true\" tabindex=\"-1\">#</a>"
            rest = rest[range.upperBound...]
        }
        output += rest
        return output
    }
}
