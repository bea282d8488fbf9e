import GatewayCore
import Testing

@Suite("Trusted proxies and the client's address")
struct TrustedProxiesTests {
    func proxies(_ list: String) throws -> TrustedProxies {
        try TrustedProxies.parse(list).get()
    }

    @Test func networksContainTheirAddressesOnly() throws {
        let trusted = try proxies(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8, 198.51.100.128/25 ")
        #expect(trusted.contains("10.200.3.4"))
        #expect(!trusted.contains("11.0.0.1"))
        #expect(trusted.contains("192.0.2.7"))
        #expect(!trusted.contains("192.0.2.8"), "an address alone is a /32")
        #expect(trusted.contains("fd12:3456::1"))
        #expect(!trusted.contains("fe80::1"))
        #expect(trusted.contains("198.51.100.200") && !trusted.contains("198.51.100.100"), "a prefix that splits a byte")
        #expect(!trusted.contains("not an address"))
        #expect(try proxies("0.0.0.0/0").contains("203.0.113.9"))
        #expect(!(try proxies("0.0.0.0/0").contains("::1")), "IPv4 networks never match IPv6 addresses")
    }

    @Test func withoutTrustedProxiesTheHeaderIsIgnored() {
        let client = TrustedProxies.none.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"])
        #expect(client == "127.0.0.1")
    }

    @Test func aPeerThatIsNoTrustedProxyCannotChooseItsAddress() throws {
        let client = try proxies("10.0.0.0/8").clientAddress(peer: "198.51.100.4", forwardedFor: ["203.0.113.9"])
        #expect(client == "198.51.100.4")
    }

    @Test func theNearestUntrustedHopIsTheClientAndForgedEntriesLeftOfItAreNeverRead() throws {
        let trusted = try proxies("10.0.0.0/8")
        // The client wrote "1.2.3.4" itself; the balancer appended the address it saw, then an inner proxy its own.
        let client = trusted.clientAddress(peer: "10.0.0.2", forwardedFor: ["1.2.3.4, 203.0.113.9", "10.0.0.1"])
        #expect(client == "203.0.113.9")
    }

    @Test func addressesAreWrittenOneWayAndMalformedHopsEndTheWalk() throws {
        let trusted = try proxies("10.0.0.0/8, ::1")
        #expect(trusted.clientAddress(peer: "::1", forwardedFor: ["2001:DB8:0:0::7"]) == "2001:db8::7")
        #expect(trusted.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.9, 10.0.0.1:8080"]) == "10.0.0.2")
        #expect(trusted.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.9, garbage, 10.0.0.1"]) == "10.0.0.1")
        #expect(trusted.clientAddress(peer: "10.0.0.2", forwardedFor: []) == "10.0.0.2")
        #expect(trusted.clientAddress(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }

    func problem(in list: String) -> String? {
        guard case .failure(let problem) = TrustedProxies.parse(list) else { return nil }
        return problem.entry
    }

    @Test func badListsNameTheEntry() {
        #expect(problem(in: "10.0.0.1,lb.internal") == "lb.internal")
        #expect(problem(in: "10.0.0.0/8, 10.0.0.0/33") == "10.0.0.0/33")
        #expect(problem(in: "10.0.0.0/8") == nil)
    }
}
