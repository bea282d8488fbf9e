import Foundation
import PostgresNIO

/// An authorization request in flight, as the server remembers it between the redirect to the
/// provider and the way back.
public struct OAuthState: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        case connect
        case signIn = "sign_in"
        /// A provider account waiting for the owner of the OAG account with its email to sign in.
        case link
    }

    public var purpose: Purpose
    public var provider: ProviderID
    public var userID: UUID?
    public var companyID: UUID?
    public var codeVerifier: String = ""
    public var requestedScopes: [String] = []
    public var deviceID: String?
    public var subject: String?
    public var email: String?
}

/// Keeps `state` server-side (RFC 9700): single use, bound to the browser that started the request,
/// remembered with its provider (mix-up defence), and gone after ten minutes.
public struct OAuthStateStore: Sendable {
    public static let lifetime: TimeInterval = 600

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores the request and returns the `state` value to send; `binding` is a secret of the browser.
    public func create(_ state: OAuthState, binding: String) async throws -> String {
        let token = SecretToken()
        // One request in flight per browser, purpose and provider: starting again replaces it, so
        // repeated starts cannot pile up rows.
        try await database.query(
            """
            WITH replaced AS (
                DELETE FROM oauth_states
                WHERE binding_hash = \(SecretToken.hash(binding)) AND purpose = \(state.purpose.rawValue) AND provider = \(state.provider.rawValue)
            )
            INSERT INTO oauth_states (state_hash, binding_hash, purpose, provider, user_id, target_company_id, code_verifier,
                requested_scopes, device_id, subject, email, expires_at)
            VALUES (\(token.hash), \(SecretToken.hash(binding)), \(state.purpose.rawValue), \(state.provider.rawValue), \(state.userID),
                \(state.companyID), \(state.codeVerifier), \(state.requestedScopes), \(state.deviceID), \(state.subject), \(state.email),
                now() + make_interval(secs => \(Self.lifetime)))
            """)
        return token.value
    }

    /// Takes the request back, once: the row is deleted whatever the outcome, so a state that
    /// fails a check cannot be tried again.
    public func consume(_ stateValue: String?, binding: String, provider: ProviderID, purpose: OAuthState.Purpose) async throws
        -> OAuthState
    {
        guard let stateValue, SecretToken(stateValue).isWellFormed else { throw OAuthError.stateInvalid }
        let rows = try await database.query(
            """
            DELETE FROM oauth_states WHERE state_hash = \(SecretToken.hash(stateValue))
            RETURNING binding_hash, purpose, provider, user_id, target_company_id, code_verifier, requested_scopes, device_id,
                subject, email, expires_at > now()
            """)
        guard let row = rows.first else { throw OAuthError.stateInvalid }
        let (state, bindingHash, live) = try Self.decode(row)
        guard live, bindingHash == SecretToken.hash(binding), state.provider == provider, state.purpose == purpose else {
            throw OAuthError.stateInvalid
        }
        return state
    }

    /// The pending link of this browser, if any, taken once.
    public func consumeLink(binding: String) async throws -> OAuthState? {
        let rows = try await database.query(
            """
            DELETE FROM oauth_states WHERE binding_hash = \(SecretToken.hash(binding)) AND purpose = 'link'
            RETURNING binding_hash, purpose, provider, user_id, target_company_id, code_verifier, requested_scopes, device_id,
                subject, email, expires_at > now()
            """)
        return try rows.map(Self.decode).first { $0.live }?.state
    }

    public func purgeExpired() async throws -> Int {
        try await database.query("DELETE FROM oauth_states WHERE expires_at <= now() RETURNING 1").count
    }

    static func decode(_ row: PostgresRow) throws -> (state: OAuthState, bindingHash: Data, live: Bool) {
        let columns = try row.decode(
            (Data, String, String, UUID?, UUID?, String, [String], String?, String?, String?, Bool).self)
        guard let purpose = OAuthState.Purpose(rawValue: columns.1), let provider = ProviderID(rawValue: columns.2) else {
            throw OAuthError.stateInvalid
        }
        let state = OAuthState(
            purpose: purpose, provider: provider, userID: columns.3, companyID: columns.4, codeVerifier: columns.5,
            requestedScopes: columns.6, deviceID: columns.7, subject: columns.8, email: columns.9)
        return (state, columns.0, columns.10)
    }
}
