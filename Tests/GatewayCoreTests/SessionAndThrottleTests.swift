import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

@Suite("Sessions and sign-in throttling in PostgreSQL")
struct SessionAndThrottleTests {
    func withDatabase(_ body: (Database, DatabaseSettings) async throws -> Void) async throws {
        try await TestDatabase.withDatabase(body)
    }

    func makeUser(_ settings: DatabaseSettings) async throws -> UUID {
        let id = UUID()
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query(
                "INSERT INTO users (id, email, name, password_hash) VALUES (\(id), \("\(id.uuidString.lowercased())@t.test"), 'T', 'x')",
                logger: TestDatabase.logger)
        }
        return id
    }

    @Test func onlyTheTokensHashIsStoredAndExpiredSessionsArePurged() async throws {
        try await withDatabase { database, settings in
            let store = SessionStore(database: database, lifetime: SessionLifetime())
            let user = try await makeUser(settings)
            let (token, session) = try await store.create(userID: user, activeCompanyID: nil, ip: "192.0.2.7")
            let stored = try await database.query("SELECT token_hash, host(ip) FROM sessions")
            let (hash, ip) = try stored[0].decode((Data, String).self)
            #expect(hash == token.hash && hash != Data(token.value.utf8))
            #expect(ip == "192.0.2.7")
            #expect(try await store.resolve(token) == session)

            let (_, _) = try await store.create(userID: user, activeCompanyID: nil, ip: nil)
            try await database.query("UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE token_hash = \(token.hash)")
            #expect(try await store.purgeExpired() == 1)
            #expect(try await database.query("SELECT 1 FROM sessions").count == 1, "the live session stays")
            #expect(try await store.resolve(token) == nil)
        }
    }

    @Test func aForgedOrMalformedCookieResolvesToNothing() async throws {
        try await withDatabase { database, _ in
            let store = SessionStore(database: database, lifetime: SessionLifetime())
            let random = try await store.resolve(SecretToken())
            let injected = try await store.resolve(SecretToken("'; DROP TABLE sessions; --"))
            #expect(random == nil)
            #expect(injected == nil)
        }
    }

    @Test func manyFailuresFromOneAddressAreLimitedWhateverTheEmails() async throws {
        try await withDatabase { database, _ in
            let throttle = LoginThrottle(database: database, limits: .init(perAccount: 5, perAddress: 20))
            for index in 0..<20 {
                let wait = try await throttle.retryAfter(email: EmailAddress("user\(index)@t.test"), ip: "198.51.100.9")
                #expect(wait == nil)
                try await throttle.recordFailure(email: EmailAddress("user\(index)@t.test"), ip: "198.51.100.9")
            }
            let wait = try await throttle.retryAfter(email: EmailAddress("fresh@t.test"), ip: "198.51.100.9")
            #expect(wait.map { $0 > 0 && $0 <= 15 * 60 } == true)
            #expect(
                try await throttle.retryAfter(email: EmailAddress("fresh@t.test"), ip: "198.51.100.10") == nil,
                "other addresses are not affected")
        }
    }

    @Test func aBurstOfParallelWrongPasswordsChecksNoMoreThanTheLimit() async throws {
        try await withDatabase { database, _ in
            let throttle = LoginThrottle(database: database, limits: .init(perAccount: 5, perAddress: 20))
            let accounts = AccountService(database: database, throttle: throttle, hasher: PasswordHasher(cost: 4))
            let form = SignUpForm(email: "burst@t.test", password: "a long enough password", name: "T", companyName: "C")
            _ = try await accounts.signUp(form, ip: "203.0.113.7")
            let results = try await withThrowingTaskGroup(of: SignInResult.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await accounts.signIn(email: "burst@t.test", password: "not the password", ip: "203.0.113.7") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let checked = results.filter { if case .invalid = $0 { true } else { false } }
            #expect(checked.count == 5, "only as many passwords are tried as the limit allows")
            #expect(results.count - checked.count == 25, "the rest are refused unchecked")
            #expect(try await database.query("SELECT 1 FROM login_failures").count == 10, "five per account and five per address")
            let right = try await accounts.signIn(email: "burst@t.test", password: "a long enough password", ip: "203.0.113.8")
            guard case .throttled = right else {
                Issue.record("the account stays locked for the window: \(right)")
                return
            }
        }
    }

    @Test func aSuccessfulAttemptDoesNotCountAsAFailure() async throws {
        try await withDatabase { database, _ in
            let throttle = LoginThrottle(database: database, limits: .init(perAccount: 2, perAddress: 2))
            let accounts = AccountService(database: database, throttle: throttle, hasher: PasswordHasher(cost: 4))
            let form = SignUpForm(email: "fine@t.test", password: "a long enough password", name: "T", companyName: "C")
            _ = try await accounts.signUp(form, ip: "203.0.113.9")
            for _ in 0..<3 {
                let result = try await accounts.signIn(email: "fine@t.test", password: "a long enough password", ip: "203.0.113.9")
                guard case .signedIn = result else {
                    Issue.record("a right password is never throttled by earlier right ones: \(result)")
                    return
                }
            }
            #expect(try await database.query("SELECT 1 FROM login_failures").count == 0)
        }
    }

    @Test func failuresOutsideTheWindowNoLongerCount() async throws {
        try await withDatabase { database, _ in
            let throttle = LoginThrottle(database: database)
            let email = EmailAddress("someone@t.test")
            for _ in 0..<5 { try await throttle.recordFailure(email: email, ip: nil) }
            #expect(try await throttle.retryAfter(email: email, ip: nil) != nil)
            try await database.query("UPDATE login_failures SET occurred_at = now() - interval '16 minutes'")
            #expect(try await throttle.retryAfter(email: email, ip: nil) == nil)
            #expect(try await throttle.purgeExpired() == 5)
        }
    }

    @Test func probingSignUpForTakenEmailsIsLimitedLikeSignIn() async throws {
        try await withDatabase { database, _ in
            let throttle = LoginThrottle(database: database, limits: .init(perAccount: 5, perAddress: 3))
            let accounts = AccountService(database: database, throttle: throttle, hasher: PasswordHasher(cost: 4))
            let form = SignUpForm(email: "taken@t.test", password: "a long enough password", name: "T", companyName: "C")
            _ = try await accounts.signUp(form, ip: "203.0.113.5")
            for _ in 0..<3 {
                await #expect(throws: FieldErrors.self) { try await accounts.signUp(form, ip: "203.0.113.5") }
            }
            await #expect(throws: TooManyAttempts.self) {
                try await accounts.signUp(
                    SignUpForm(email: "new@t.test", password: "a long enough password", name: "T", companyName: "C"), ip: "203.0.113.5")
            }
        }
    }
}
