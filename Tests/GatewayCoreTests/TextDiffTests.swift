import GatewayCore
import Testing

@Suite("Line diff of policy versions")
struct TextDiffTests {
    func render(_ lines: [DiffLine]) -> [String] {
        lines.map {
            switch $0.kind {
            case .unchanged: "  \($0.text)"
            case .deleted: "- \($0.text)"
            case .inserted: "+ \($0.text)"
            }
        }
    }

    /// The unchanged and deleted lines are the old text; the unchanged and inserted ones the new.
    func expectReconstructs(_ old: String, _ new: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = TextDiff.lines(from: old, to: new)
        #expect(lines.filter { $0.kind != .inserted }.map(\.text).joined(separator: "\n") == old, sourceLocation: sourceLocation)
        #expect(lines.filter { $0.kind != .deleted }.map(\.text).joined(separator: "\n") == new, sourceLocation: sourceLocation)
    }

    @Test func identicalTextsHaveNoChanges() {
        let text = "# Policy\n\nWe hold little.\n"
        #expect(TextDiff.lines(from: text, to: text).allSatisfy { $0.kind == .unchanged })
        #expect(TextDiff.rows(TextDiff.lines(from: text, to: text)) == [.folded(4)])
    }

    @Test func anInsertedParagraphIsTheOnlyChange() {
        let lines = TextDiff.lines(from: "a\nb\nc", to: "a\nb\nnew\nc")
        #expect(render(lines) == ["  a", "  b", "+ new", "  c"])
    }

    @Test func aRemovedParagraphIsTheOnlyChange() {
        #expect(render(TextDiff.lines(from: "a\nb\nc", to: "a\nc")) == ["  a", "- b", "  c"])
    }

    @Test func aChangedLineIsDeletedThenInserted() {
        #expect(
            render(TextDiff.lines(from: "a\nold wording\nc", to: "a\nnew wording\nc")) == ["  a", "- old wording", "+ new wording", "  c"])
    }

    @Test func theLongestCommonSubsequenceIsKept() {
        // LCS of ABCBDAB and BDCABA has length 4; a diff keeping fewer lines would not be minimal.
        let old = "A\nB\nC\nB\nD\nA\nB"
        let new = "B\nD\nC\nA\nB\nA"
        let lines = TextDiff.lines(from: old, to: new)
        #expect(lines.count { $0.kind == .unchanged } == 4)
        expectReconstructs(old, new)
    }

    @Test(arguments: [
        ("", "a"), ("a", ""), ("", ""), ("a\n", "a"), ("x\ny\nz", "p\nq"), ("same\nsame\nsame", "same\nsame"),
        ("1\n2\n3\n4\n5", "5\n4\n3\n2\n1"),
    ])
    func everyDiffRebuildsBothTexts(_ old: String, _ new: String) {
        expectReconstructs(old, new)
    }

    @Test func hugeTextsPastTheTableLimitAreStillCorrect() {
        let old = (0..<3000).map { "old line \($0)" }.joined(separator: "\n")
        let new = (0..<3000).map { "new line \($0)" }.joined(separator: "\n")
        let lines = TextDiff.lines(from: "head\n" + old + "\ntail", to: "head\n" + new + "\ntail")
        #expect(lines.first == DiffLine(.unchanged, "head") && lines.last == DiffLine(.unchanged, "tail"))
        #expect(lines.count { $0.kind == .deleted } == 3000 && lines.count { $0.kind == .inserted } == 3000)
        expectReconstructs("head\n" + old + "\ntail", "head\n" + new + "\ntail")
    }

    @Test func unchangedStretchesAreFoldedAroundContext() {
        let old = (1...20).map(String.init).joined(separator: "\n")
        let new = old.replacingOccurrences(of: "\n10\n", with: "\nten\n")
        let rows = TextDiff.rows(TextDiff.lines(from: old, to: new), context: 2)
        #expect(
            rows == [
                .folded(7), .line(DiffLine(.unchanged, "8")), .line(DiffLine(.unchanged, "9")), .line(DiffLine(.deleted, "10")),
                .line(DiffLine(.inserted, "ten")), .line(DiffLine(.unchanged, "11")), .line(DiffLine(.unchanged, "12")), .folded(8),
            ])
    }
}
