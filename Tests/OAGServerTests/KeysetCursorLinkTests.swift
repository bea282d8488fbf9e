import Foundation
import GatewayCore
import Hummingbird
import HummingbirdCore
import Testing

@testable import WebConsole

@Suite("Keyset cursors in links")
struct KeysetCursorLinkTests {
    func parsed(_ href: String) -> KeysetCursor? {
        let query = String(href.split(separator: "?", maxSplits: 1)[1])
        return KeysetCursor(URI("/list?" + query).queryParameters, key: "after")
    }

    @Test func everyMicrosecondSurvivesTheLinkExactly() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let microseconds = Int64.random(in: 0...4_102_444_800_000_000, using: &generator)
            // As a row's time arrives from the database: a Date, whose seconds are a Double.
            let time = Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
            let cursor = KeysetCursor(time: time, id: UUID())
            #expect(cursor.microseconds == microseconds)
            #expect(parsed(cursor.href("/list", key: "after")) == cursor)
        }
    }

    @Test(arguments: ["1e300", "nan", "inf", "-5", "abc", "9999999999999", "1.", ".5", "1.1234567", "1.2.3", "", "١٢٣"])
    func anythingElseIsNoCursor(_ value: String) {
        let query = "after=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&id=\(UUID())"
        #expect(KeysetCursor(URI("/list?" + query).queryParameters, key: "after") == nil)
    }
}
