/// A line of a comparison between two texts.
public struct DiffLine: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case unchanged, deleted, inserted
    }

    public var kind: Kind
    public var text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }
}

/// What a diff page shows: changed lines with a little context, long unchanged stretches folded.
public enum DiffRow: Sendable, Equatable {
    case line(DiffLine)
    /// This many unchanged lines are not shown here.
    case folded(Int)
}

/// Line diff by longest common subsequence, for comparing policy versions.
///
/// Markdown keeps a paragraph on one line or a few, so lines read as paragraphs and list items.
public enum TextDiff {
    /// The LCS table is lines × lines; past this many cells (a few MB) the changed middle is shown as
    /// all deleted then all inserted, which is still correct, just less precise.
    static let maximumCells = 4_000_000

    public static func lines(from old: String, to new: String) -> [DiffLine] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }

        var result = a[..<prefix].map { DiffLine(.unchanged, $0) }
        result += middle(Array(a[prefix..<(a.count - suffix)]), Array(b[prefix..<(b.count - suffix)]))
        result += a[(a.count - suffix)...].map { DiffLine(.unchanged, $0) }
        return result
    }

    /// The changed lines of `lines` with `context` unchanged lines around each change; the rest folded.
    public static func rows(_ lines: [DiffLine], context: Int = 3) -> [DiffRow] {
        let changed = lines.indices.filter { lines[$0].kind != .unchanged }
        var shown = Set<Int>()
        for index in changed {
            shown.formUnion(max(0, index - context)...min(lines.count - 1, index + context))
        }
        var rows: [DiffRow] = []
        var folded = 0
        for (index, line) in lines.enumerated() {
            if shown.contains(index) {
                if folded > 0 { rows.append(.folded(folded)) }
                folded = 0
                rows.append(.line(line))
            } else {
                folded += 1
            }
        }
        if folded > 0 { rows.append(.folded(folded)) }
        return rows
    }

    private static func middle(_ a: [String], _ b: [String]) -> [DiffLine] {
        if a.isEmpty || b.isEmpty || a.count * b.count > maximumCells {
            return a.map { DiffLine(.deleted, $0) } + b.map { DiffLine(.inserted, $0) }
        }
        // Lines as small integers, so the table compares numbers, not strings.
        var ids: [String: Int32] = [:]
        func id(_ line: String) -> Int32 {
            if let known = ids[line] { return known }
            let fresh = Int32(ids.count)
            ids[line] = fresh
            return fresh
        }
        let x = a.map(id)
        let y = b.map(id)
        let width = y.count + 1
        // lengths[i * width + j]: the LCS length of x[i...] and y[j...].
        var lengths = [Int32](repeating: 0, count: (x.count + 1) * width)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lengths[i * width + j] =
                    x[i] == y[j] ? lengths[(i + 1) * width + j + 1] + 1 : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var result: [DiffLine] = []
        var i = 0
        var j = 0
        while i < x.count, j < y.count {
            if x[i] == y[j] {
                result.append(DiffLine(.unchanged, a[i]))
                i += 1
                j += 1
            } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                result.append(DiffLine(.deleted, a[i]))
                i += 1
            } else {
                result.append(DiffLine(.inserted, b[j]))
                j += 1
            }
        }
        result += a[i...].map { DiffLine(.deleted, $0) }
        result += b[j...].map { DiffLine(.inserted, $0) }
        return result
    }
}
