import GatewayCore
import Testing

@Suite("Unknown API keys are limited per client address")
struct FailedKeyLimiterTests {
    @Test func anAddressIsRefusedAfterTheLimitUntilItsWindowEnds() {
        let limiter = FailedKeyLimiter(limits: .init(failures: 3, window: .seconds(60)))
        let start = ContinuousClock.now
        for _ in 0..<3 {
            #expect(limiter.retryAfter("192.0.2.1", now: start) == nil)
            limiter.recordFailure("192.0.2.1", now: start)
        }
        #expect(limiter.retryAfter("192.0.2.1", now: start) == 60)
        #expect(limiter.retryAfter("192.0.2.1", now: start + .seconds(59.5)) == 1)
        #expect(limiter.retryAfter("192.0.2.2", now: start) == nil, "other addresses are not affected")
        #expect(limiter.retryAfter("192.0.2.1", now: start + .seconds(60)) == nil, "a new window starts afresh")
        limiter.recordFailure("192.0.2.1", now: start + .seconds(60))
        #expect(limiter.retryAfter("192.0.2.1", now: start + .seconds(60)) == nil)
    }

    @Test func memoryStaysBoundedWhateverTheNumberOfAddresses() {
        let limiter = FailedKeyLimiter(limits: .init(failures: 2, window: .seconds(60), maximumAddresses: 100))
        let start = ContinuousClock.now
        for index in 0..<1000 { limiter.recordFailure("198.51.100.\(index)", now: start) }
        #expect(limiter.trackedAddresses <= 100)
        limiter.recordFailure("203.0.113.1", now: start)
        limiter.recordFailure("203.0.113.1", now: start)
        #expect(limiter.retryAfter("203.0.113.1", now: start) != nil, "a recent address is still limited")
    }
}
