import Foundation

/// Realistic demo usage, written fast: batches in time order (each insert lands next to the
/// previous one in the events' indexes) by two writers over disjoint UTC days, so that they
/// use both the database's and this process's share of the machine and never update the same
/// daily rollup.
struct DemoUsage: Sendable {
    static let batchSize = 50_000
    static let days = 90

    let companyID: UUID
    let members: [UUID]
    let keys: [APIKey]
    let models: [GatewayModel]

    /// Adds `count` events spread evenly over the last `days` UTC days, today up to `now`.
    func write(count: Int, with recorder: UsageRecorder, now: Date = Date()) async throws {
        let today = UsageDay.number(of: now)
        let firstDay = today - Self.days + 1
        try await recorder.ensurePartitions(months: Set((firstDay...today).map(UsageDay.monthStart(ofDay:))))
        let start = Double(firstDay * 86_400), middle = Double((today - Self.days / 2) * 86_400), end = now.timeIntervalSince1970
        let early = Int((Double(count) * (middle - start) / (end - start)).rounded())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await write(count: early, from: start, to: middle, with: recorder) }
            group.addTask { try await write(count: count - early, from: middle, to: end, with: recorder) }
            try await group.waitForAll()
        }
    }

    /// `count` events between two moments (seconds since 1970), a batch per consecutive slice of time.
    private func write(count: Int, from start: Double, to end: Double, with recorder: UsageRecorder) async throws {
        var generator = FastRandom()
        let batches = (count + Self.batchSize - 1) / Self.batchSize
        let slice = (end - start) / Double(max(batches, 1))
        for batch in 0..<batches {
            let size = count * (batch + 1) / batches - count * batch / batches
            let sliceStart = start + slice * Double(batch)
            let events = (0..<size).map { _ in
                event(at: sliceStart + Double.random(in: 0..<slice, using: &generator), using: &generator)
            }
            try await recorder.write(events.sorted { $0.occurredAt < $1.occurredAt })
        }
    }

    private func event(at time: Double, using generator: inout FastRandom) -> UsageEvent {
        let model = models.randomElement(using: &generator)!
        // Keys belong to their makers; about a third of requests come from the console.
        let key = Int.random(in: 0..<3, using: &generator) == 0 ? nil : keys.randomElement(using: &generator)
        let failed = Int.random(in: 0..<40, using: &generator) == 0
        let prompt = failed ? 0 : Int.random(in: 20...3000, using: &generator)
        let completion = failed ? 0 : Int.random(in: 5...900, using: &generator)
        return UsageEvent(
            companyID: companyID, id: generator.uuid(), occurredAt: Date(timeIntervalSince1970: time),
            userID: key?.createdBy ?? members.randomElement(using: &generator), apiKeyID: key?.id, threadID: nil, provider: model.provider,
            model: model.id, promptTokens: prompt, completionTokens: completion,
            costMicros: model.costMicros(promptTokens: prompt, completionTokens: completion),
            latencyMilliseconds: Int.random(in: 150...6000, using: &generator),
            status: failed ? [429, 502, 504].randomElement(using: &generator)! : 200)
    }
}

/// SplitMix64, seeded once from the system: demo data needs no cryptographic randomness, and
/// the system's generator (and `UUID()`) costs a system call per number.
struct FastRandom: RandomNumberGenerator {
    private var state = UInt64.random(in: .min ... .max)

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random UUID (version 4).
    mutating func uuid() -> UUID {
        var value = (next(), next())
        return withUnsafeMutableBytes(of: &value) { bytes in
            bytes[6] = (bytes[6] & 0x0F) | 0x40
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            return UUID(uuid: bytes.load(as: uuid_t.self))
        }
    }
}
