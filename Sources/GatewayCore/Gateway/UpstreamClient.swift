import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// HTTP to the LLM providers: pooled connections, no redirects, a deadline for the answer to
/// start, and one retry when the connection fails before a byte was sent.
public struct UpstreamClient: Sendable {
    let http: HTTPClient
    let timeout: Duration
    let logger: Logger

    public init(http: HTTPClient, timeout: Duration, logger: Logger) {
        self.http = http
        self.timeout = timeout
        self.logger = logger
    }

    /// Many callers share a few providers, so the pool keeps many connections per host.
    public static func makeHTTPClient(timeout: Duration) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(Int64(timeout.components.seconds))),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024))
        configuration.httpVersion = .automatic
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Why a call to a provider failed.
    enum Failure: Error {
        /// No answer started: refused, reset, or unreachable (the request may be retried elsewhere).
        case unreachable
        case timedOut
    }

    func post(_ url: String, headers: HTTPHeaders, body: Data) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers
        request.body = .bytes(ByteBuffer(bytes: body))
        for attempt in 1...2 {
            do {
                return try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                throw Failure.timedOut
            } catch {
                // Nothing reached the caller yet, so one more try is safe.
                if attempt == 2 || Task.isCancelled {
                    logger.warning("LLM provider unreachable", metadata: ["host": "\(url.hostPart)", "error": "\(type(of: error))"])
                    throw Failure.unreachable
                }
            }
        }
        throw Failure.unreachable
    }

    /// Reads a whole (non-streamed) answer, within the deadline.
    func collect(_ response: HTTPClientResponse, limit: Int = 16 * 1024 * 1024) async throws -> Data {
        do {
            return Data(buffer: try await response.body.collect(upTo: limit))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw Failure.timedOut
        } catch {
            throw Failure.unreachable
        }
    }
}
