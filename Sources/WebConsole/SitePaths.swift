/// Every URL of the console, in one place.
public enum SitePaths {
    public static let privacy = "/privacy"
    public static let privacyVersions = "/privacy/versions"
    public static func privacyVersion(_ number: Int) -> String { "/privacy/versions/\(number)" }
}
