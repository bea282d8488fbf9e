import NIOCore

/// One server-sent event: its `event:` name, if any, and its `data:` lines joined.
struct ServerSentEvent: Sendable, Equatable {
    var event: String?
    var data: String

    /// The event as the gateway writes it to its callers (OpenAI's streams carry only data).
    static func data(_ payload: String) -> String { "data: \(payload)\n\n" }
}

/// Splits a byte stream into events at blank lines. Bytes are kept until an event is complete,
/// so a UTF-8 character or a line cut between two network reads is never garbled.
struct ServerSentEventParser: Sendable {
    private var pending: [UInt8] = []

    mutating func feed(_ buffer: ByteBuffer) -> [ServerSentEvent] {
        pending.append(contentsOf: buffer.readableBytesView)
        var events: [ServerSentEvent] = []
        while let end = Self.endOfEvent(in: pending) {
            let text = String(decoding: pending[..<end.start], as: UTF8.self)
            pending.removeFirst(end.after)
            if let event = Self.parse(text) { events.append(event) }
        }
        return events
    }

    /// What is left when the stream ends without a final blank line.
    mutating func finish() -> [ServerSentEvent] {
        defer { pending.removeAll() }
        return Self.parse(String(decoding: pending, as: UTF8.self)).map { [$0] } ?? []
    }

    private static func endOfEvent(in bytes: [UInt8]) -> (start: Int, after: Int)? {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A, bytes[index + 1] == 0x0A { return (index, index + 2) }
            if index + 3 < bytes.count, bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x0D, bytes[index + 3] == 0x0A {
                return (index, index + 4)
            }
            index += 1
        }
        return nil
    }

    static func parse(_ text: String) -> ServerSentEvent? {
        var name: String?
        var data: [Substring] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if line.hasPrefix("data:") {
                data.append(line.dropFirst(5).drop { $0 == " " })
            } else if line.hasPrefix("event:") {
                name = String(line.dropFirst(6).drop { $0 == " " })
            }
        }
        guard !data.isEmpty else { return nil }
        return ServerSentEvent(event: name, data: data.joined(separator: "\n"))
    }
}
