import Synchronization

/// Limits requests with unknown API keys per client address, in this node's memory.
///
/// Each unknown key costs a database lookup (the key cache only remembers keys it has seen), so
/// an address that keeps guessing is refused before it reaches the database. Memory is bounded:
/// past `maximumAddresses`, finished windows go, and if that is not enough, all of them (an
/// attacker with that many addresses is not slowed by a per-address limit anyway).
public final class FailedKeyLimiter: Sendable {
    public struct Limits: Sendable {
        public var failures: Int
        public var window: Duration
        public var maximumAddresses: Int

        public init(failures: Int = 30, window: Duration = .seconds(60), maximumAddresses: Int = 10_000) {
            self.failures = failures
            self.window = window
            self.maximumAddresses = maximumAddresses
        }
    }

    public let limits: Limits
    /// Per address: when its window started and how many failures it holds.
    private let windows = Mutex<[String: (started: ContinuousClock.Instant, failures: Int)]>([:])

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whole seconds until `address` may try again, or nil when it may now.
    public func retryAfter(_ address: String, now: ContinuousClock.Instant = .now) -> Int? {
        windows.withLock { windows in
            guard let window = windows[address], now < window.started + limits.window, window.failures >= limits.failures else {
                return nil
            }
            let left = window.started + limits.window - now
            return max(1, Int((Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18).rounded(.up)))
        }
    }

    public func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) {
        windows.withLock { windows in
            if let window = windows[address], now < window.started + limits.window {
                windows[address]?.failures = window.failures + 1
                return
            }
            if windows[address] == nil, windows.count >= limits.maximumAddresses {
                windows = windows.filter { now < $0.value.started + limits.window }
                if windows.count >= limits.maximumAddresses { windows.removeAll() }
            }
            windows[address] = (now, 1)
        }
    }

    /// How many addresses are tracked (tests check the bound).
    public var trackedAddresses: Int { windows.withLock { $0.count } }
}
