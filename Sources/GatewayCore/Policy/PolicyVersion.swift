import Foundation

/// One published version of the privacy policy, with its HTML rendered once at publication.
public struct PolicyVersion: Sendable, Equatable {
    public var number: Int
    public var publishedAt: Date
    public var markdown: String
    public var html: String
    public var headings: [Heading]
    /// Whether users must acknowledge this version (a material change).
    public var significant: Bool
    /// What changed since the previous version, in the publishing operator's words.
    public var summary: String
}

/// A line of the versions list: no body, cheap to load.
public struct PolicyVersionSummary: Sendable, Equatable {
    public var number: Int
    public var publishedAt: Date
    public var significant: Bool
    public var summary: String
}

/// What an operator submits to publish a new version.
public struct PolicyDraft: Sendable {
    public var markdown: String
    public var summary: String
    public var significant: Bool
    /// The version the operator started editing from; publishing fails if another appeared since.
    public var baseVersion: Int?

    public init(markdown: String, summary: String, significant: Bool, baseVersion: Int?) {
        self.markdown = markdown
        self.summary = summary
        self.significant = significant
        self.baseVersion = baseVersion
    }
}

/// The significant change a user has not acknowledged yet, shown on every page until they do.
public struct PolicyNotice: Sendable, Equatable {
    public var version: Int
    public var summary: String
    public var publishedAt: Date
}

/// One entry of a user's notifications: a version published while they had an account.
public struct PolicyNotification: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// The policy in force when the account was made (or the first policy): accepted by signing up.
        case inForceAtSignUp
        /// A minor change: nothing to acknowledge.
        case informational
        case acknowledged(Date)
        /// The notice currently shown; it waits for the user's acknowledgement.
        case awaitingAcknowledgement
        /// Significant but never acknowledged, and replaced by a later significant version.
        case replaced
    }

    public var version: Int
    public var publishedAt: Date
    public var summary: String
    public var significant: Bool
    public var status: Status
}
