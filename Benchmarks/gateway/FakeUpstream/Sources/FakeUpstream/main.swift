// FakeUpstream PORT [THREADS]
//
// Listens on 127.0.0.1:PORT and answers `POST …/chat/completions` with a fixed OpenAI chat
// completion (HTTP/1.1, keep-alive); `GET /health` answers 200 "ok"; anything else 404.
// The request body is read and dropped. Plain SwiftNIO, no framework, so that it costs as
// little as possible and the figures measured through a gateway are the gateway's.
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 2, let port = Int(arguments[1]), (1...65535).contains(port) else {
    print("usage: FakeUpstream PORT [THREADS]")
    exit(2)
}
let threads = arguments.count >= 3 ? max(1, Int(arguments[2]) ?? 1) : System.coreCount

let completion = #"""
{"id":"chatcmpl-bench0000000000000000000001","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18},"system_fingerprint":"fp_bench"}
"""#

final class CompletionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let body: ByteBuffer
    private var head: HTTPRequestHead?

    init(body: ByteBuffer) {
        self.body = body
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break  // the request body does not change the answer
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let status: HTTPResponseStatus
        let payload: ByteBuffer
        let contentType: String
        if request.method == .POST && path.hasSuffix("/chat/completions") {
            (status, payload, contentType) = (.ok, body, "application/json")
        } else if request.method == .GET && path == "/health" {
            (status, payload, contentType) = (.ok, ByteBuffer(string: "ok"), "text/plain")
        } else {
            let error = #"{"error":{"message":"not found","type":"invalid_request_error","code":"not_found"}}"#
            (status, payload, contentType) = (.notFound, ByteBuffer(string: error), "application/json")
        }
        let keepAlive = request.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(payload.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
let body = ByteBuffer(string: completion)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.maxMessagesPerRead, value: 16)
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
            channel.pipeline.addHandler(CompletionHandler(body: body))
        }
    }

let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
print("FakeUpstream listening on http://127.0.0.1:\(port) with \(threads) thread(s)")
try channel.closeFuture.wait()
try group.syncShutdownGracefully()
