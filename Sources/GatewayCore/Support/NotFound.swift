/// The object does not exist, or belongs to another company: both answer the same (a 404).
public struct NotFound: Error, Sendable {
    public init() {}
}
