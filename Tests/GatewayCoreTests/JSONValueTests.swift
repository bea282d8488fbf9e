import Foundation
import GatewayCore
import Testing

/// The gateway's JSON reader and writer agree with Foundation's on what JSON is.
@Suite("JSON values")
struct JSONValueTests {
    @Test func readsWhatFoundationReadsAndWritesItBack() throws {
        let text = #"""
            {"model":"gpt-4o","messages":[{"role":"user","content":"Hé \"quoted\" \\ back\nslash \u00e9 \ud83d\ude00"}],
             "n":1,"temperature":0.7,"stream":false,"stop":null,"big":12345678901,"neg":-2.5e3,"empty":{},"list":[]}
            """#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value["messages"]?.array?.first?["content"]?.string == "Hé \"quoted\" \\ back\nslash é 😀")
        #expect(value["n"]?.int == 1 && value["temperature"]?.number == 0.7 && value["stream"]?.bool == false)
        #expect(value["stop"] == .null && value["big"]?.int == 12_345_678_901 && value["neg"]?.number == -2500)
        let written = value.serialized()
        let foundation = try JSONSerialization.jsonObject(with: written) as? [String: Any]
        #expect((foundation?["messages"] as? [[String: Any]])?.first?["content"] as? String == "Hé \"quoted\" \\ back\nslash é 😀")
        #expect(try JSONValue.parse(Array(written)) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a" 1}"#, "tru", "01x", #""unterminated"#, "{\"a\":1}}", "[\"\u{01}\"]", "+1", "NaN", #""\x""#, "1e999",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: (any Error).self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }
}
