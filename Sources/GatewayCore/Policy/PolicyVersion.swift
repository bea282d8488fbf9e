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
}

/// A line of the versions list: no body, cheap to load.
public struct PolicyVersionSummary: Sendable, Equatable {
    public var number: Int
    public var publishedAt: Date
    public var significant: Bool
}
