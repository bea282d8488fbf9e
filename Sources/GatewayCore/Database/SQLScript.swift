import Foundation

/// Splits a migration file into single statements.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement at a
/// time, so a file is cut at top-level semicolons: not inside quotes, quoted identifiers,
/// dollar-quoted bodies (`$$ … $$`, `$tag$ … $tag$`) or comments.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let characters = Array(script)
        var statements: [String] = []
        var current = ""
        var index = 0

        func appendUntil(_ terminator: [Character], from start: Int) -> Int {
            var end = start
            while end < characters.count {
                if Array(characters[end..<min(end + terminator.count, characters.count)]) == terminator {
                    end += terminator.count
                    break
                }
                end += 1
            }
            current.append(contentsOf: characters[start..<min(end, characters.count)])
            return end
        }

        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "'", "\"":
                // A doubled quote inside is an escaped quote: read as two literals back to back, same result.
                current.append(character)
                index = appendUntil([character], from: index + 1)
            case "-" where next == "-":
                index = appendUntil(["\n"], from: index)
            case "/" where next == "*":
                index = appendUntil(["*", "/"], from: index)
            case "$":
                if let tag = dollarTag(in: characters, at: index) {
                    current.append(contentsOf: tag)
                    index = appendUntil(tag, from: index + tag.count)
                } else {
                    current.append(character)
                    index += 1
                }
            case ";":
                append(&current, to: &statements)
                index += 1
            default:
                current.append(character)
                index += 1
            }
        }
        append(&current, to: &statements)
        return statements
    }

    /// `$tag$` starting at `index`, if there is one (a `$1` parameter is not a tag).
    private static func dollarTag(in characters: [Character], at index: Int) -> [Character]? {
        var end = index + 1
        while end < characters.count, characters[end] == "_" || characters[end].isLetter || (characters[end].isNumber && end > index + 1) {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        return Array(characters[index...end])
    }

    private static func append(_ statement: inout String, to statements: inout [String]) {
        let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        if !isOnlyComments(trimmed) { statements.append(trimmed) }
        statement = ""
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { line in
            let line = line.trimmingCharacters(in: .whitespaces)
            return line.isEmpty || line.hasPrefix("--")
        }
    }
}
