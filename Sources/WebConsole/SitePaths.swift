import Foundation
import GatewayCore

/// Every URL of the console, in one place.
public enum SitePaths {
    public static let home = "/"
    public static let privacy = "/privacy"
    public static let privacyVersions = "/privacy/versions"
    public static func privacyVersion(_ number: Int) -> String { "/privacy/versions/\(number)" }
    public static let privacyDiff = "/privacy/diff"
    public static func privacyDiff(from: Int, to: Int) -> String { "/privacy/diff?from=\(from)&to=\(to)" }

    public static let signUp = "/signup"
    public static let logIn = "/login"
    public static let logOut = "/logout"
    public static let dashboard = "/dashboard"
    public static let account = "/account"
    public static let accountPassword = "/account/password"
    public static let notifications = "/account/notifications"
    public static let policyAcknowledgement = "/account/policy/acknowledge"

    public static let accountExport = "/account/export"
    public static let deletionRequests = "/account/deletion-requests"
    public static func deletionRequestCancel(_ id: UUID) -> String { "/account/deletion-requests/\(id.uuidString.lowercased())/cancel" }
    public static func deletionRequestReceipt(_ id: UUID) -> String { "/account/deletion-requests/\(id.uuidString.lowercased())/receipt" }
    public static func deletionReceipt(token: String) -> String { "/deletion-receipts/\(token)" }
    public static let companyDeletionRequests = "/company/deletion-requests"
    public static let emailChangeCancellation = "/account/email/cancel"
    public static func emailConfirmation(_ token: String) -> String { "/account/email/confirm/\(token)" }

    public static let integrations = "/account/integrations"
    public static func integrationConnect(_ provider: ProviderID) -> String { "/account/integrations/\(provider.rawValue)/connect" }
    public static func integrationCallback(_ provider: ProviderID) -> String { "/account/integrations/\(provider.rawValue)/callback" }
    public static func integrationCheck(_ provider: ProviderID) -> String { "/account/integrations/\(provider.rawValue)/check" }
    public static func integrationDisconnect(_ provider: ProviderID) -> String { "/account/integrations/\(provider.rawValue)/disconnect" }
    public static func providerSignInStart(_ provider: ProviderID) -> String { "/auth/\(provider.rawValue)/start" }
    public static func providerSignInCallback(_ provider: ProviderID) -> String { "/auth/\(provider.rawValue)/callback" }

    public static let switchCompany = "/company/switch"
    public static let members = "/company/members"
    public static let invitations = "/company/invitations"
    public static func invitationRevocation(_ id: UUID) -> String { "/company/invitations/\(id.uuidString.lowercased())/revoke" }
    public static func memberRole(_ userID: UUID) -> String { "/company/members/\(userID.uuidString.lowercased())/role" }
    public static func memberRemoval(_ userID: UUID) -> String { "/company/members/\(userID.uuidString.lowercased())/remove" }
    public static let audit = "/company/audit"
    public static let companyIntegrations = "/company/integrations"
    public static let apiKeys = "/company/api-keys"
    public static func apiKeyRevocation(_ id: UUID) -> String { "/company/api-keys/\(id.uuidString.lowercased())/revoke" }
    public static let companyProviders = "/company/providers"
    public static let threads = "/threads"
    public static let usage = "/usage"
    public static let usageCSV = "/usage.csv"
    public static let companyUsage = "/company/usage"
    public static let companyUsageCSV = "/company/usage.csv"
    public static let requestLog = "/company/usage/requests"
    public static let billing = "/company/billing"
    public static func thread(_ id: UUID) -> String { "/threads/\(id.uuidString.lowercased())" }
    public static func threadMessages(_ id: UUID) -> String { "/threads/\(id.uuidString.lowercased())/messages" }
    public static func threadRename(_ id: UUID) -> String { "/threads/\(id.uuidString.lowercased())/rename" }
    public static func threadDeletion(_ id: UUID) -> String { "/threads/\(id.uuidString.lowercased())/delete" }
    public static func invitation(_ token: String) -> String { "/invitations/\(token)" }

    public static let admin = "/admin"
    public static let adminModels = "/admin/models"
    public static let adminDeletionRequests = "/admin/deletion-requests"
    public static func adminDeletionDecision(_ id: UUID, _ decision: String) -> String {
        "/admin/deletion-requests/\(id.uuidString.lowercased())/\(decision)"
    }
    public static let adminPolicy = "/admin/policy"
    public static let adminPolicyPreview = "/admin/policy/preview"
    public static let adminMaintenance = "/admin/maintenance"
    public static func adminModel(_ id: String) -> String {
        "/admin/models/"
            + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id)
    }

    /// Where to go after signing in: only a path on this site, never another origin.
    /// Where a signed-in user starts: an operator who belongs to no company has no dashboard.
    public static func start(isOperator: Bool, hasCompany: Bool) -> String {
        isOperator && !hasCompany ? admin : dashboard
    }

    public static func safeNext(_ candidate: String?) -> String {
        // A single leading slash and no control or space characters: browsers drop tabs and
        // newlines from URLs, so "/\t/evil.example" would otherwise become "//evil.example".
        guard let candidate, candidate.hasPrefix("/"), candidate.count < 512,
            !candidate.dropFirst().hasPrefix("/"), !candidate.contains("\\"),
            candidate.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { return dashboard }
        return candidate
    }
}
