import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One HTTP/1.1 request and its answer over a TLS connection of its own (SwiftNIO and
/// swift-nio-ssl), which is how ``APIClient`` talks to an agent.
///
/// Built on the NIO the agent already runs rather than URLSession: FoundationNetworking would
/// load libcurl and two dozen libraries it pulls in (TLS, Kerberos, LDAP…) into every agent.
struct HTTPExchange: Sendable {
    /// A complete answer.
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// Why no answer came (or why what came is not one), in a few words.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// Something answered, but not in HTTP.
        var notHTTP = false
    }

    let host: String
    let port: Int
    /// How long the whole exchange (connect, send, answer) may take.
    let timeout: Duration
    /// The TLS client configuration (trusted CA, client certificate).
    let tls: TLSConfiguration
    /// Replaces the CA check of the server's chain (a joining agent pins the CA by fingerprint).
    var verification: (@Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void)? = nil

    /// Sends `method target` with `headers` and `body`, and reads the whole answer.
    func send(_ method: HTTPMethod, _ target: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Answer {
        let limit = TimeAmount.nanoseconds(Int64((timeout / .nanoseconds(1)).rounded()))
        let giveUp = NIODeadline.now() + limit
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch { throw Failure(description: "TLS set-up: \(error)") }
        // An IP literal cannot go in SNI; the server's IP address entries are checked instead.
        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        let verification = self.verification
        let recorder = ErrorRecorder()
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(limit)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = if let verification {
                            try NIOSSLClientHandler(context: context, serverHostname: serverName, customVerificationCallback: verification)
                        } else {
                            try NIOSSLClientHandler(context: context, serverHostname: serverName)
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                        try channel.pipeline.syncOperations.addHandler(recorder)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(description: Self.words(error))
        }
        let expired = Expiry()
        let deadline = channel.channel.eventLoop.scheduleTask(deadline: giveUp) {
            [underlying = channel.channel] in
            expired.fire()
            underlying.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
                head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
                head.headers.add(name: "Connection", value: "close")
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                // Always framed by Content-Length where a body may come (0 without one): left
                // to NIO, a bodiless POST goes chunked, and its terminating chunk can arrive
                // after the server has answered and closed, which resets the connection and
                // loses the answer. The request goes out in one write.
                if body != nil || method != .GET && method != .HEAD {
                    head.headers.add(name: "Content-Length", value: String(body?.count ?? 0))
                }
                var parts: [HTTPClientRequestPart] = [.head(head)]
                if let body, !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                parts.append(.end(nil))
                try await outbound.write(contentsOf: parts)
                var status: Int?
                var bytes: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let answer): status = Int(answer.status.code)
                    case .body(var buffer): bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end: if let status { return Answer(status: status, body: bytes) }
                    }
                }
                throw Failure(description: expired.fired ? "no answer in time" : recorder.words ?? "connection lost")
            }
        } catch let failure as Failure {
            throw failure
        } catch is HTTPParserError {
            throw Failure(description: "not an HTTP answer", notHTTP: true)
        } catch {
            throw Failure(description: expired.fired ? "no answer in time" : recorder.words ?? Self.words(error))
        }
    }

    /// A connection error in a few words.
    static func words(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil { return "unknown host" }
            if let first = connection.connectionErrors.first { return words(first.error) }
            return "unknown host"
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ECONNRESET, EPIPE: return "connection lost"
            case ENETUNREACH, EHOSTUNREACH: return "no route to host"
            default: return "\(io)"
            }
        }
        if let tls = error as? NIOSSLError {
            switch tls {
            case .handshakeFailed(let reason): return "TLS handshake failed: \(reason); is the CA right, and is this an HTTPS Flotilla agent?"
            case .uncleanShutdown: return "connection lost"
            default: return "TLS: \(tls)"
            }
        }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "TLS: the agent's certificate does not name the host called; use a name or address it lists (its API URL in flotilla machines)"
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return "no answer in time"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "connection lost"
            default: return "\(channel)"
            }
        }
        return "\(error)"
    }
}

/// Keeps the first TLS error the connection saw: a failed handshake closes the connection,
/// and without it the exchange could only say "connection lost".
private final class ErrorRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let first = Mutex<String?>(nil)

    /// Keeps the first TLS error (the handshake's, or the server's name not matching) in words:
    /// the request's own failure may surface only as the closed channel that follows it.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is NIOSSLExtraError {
            let words = HTTPExchange.words(error)
            first.withLock { if $0 == nil { $0 = words } }
        }
        context.fireErrorCaught(error)
    }

    /// The TLS error in a few words, if there was one.
    var words: String? { first.withLock { $0 } }
}

/// Set once the exchange's deadline has passed.
private final class Expiry: Sendable {
    private let state = Atomic<Bool>(false)
    func fire() { state.store(true, ordering: .relaxed) }
    var fired: Bool { state.load(ordering: .relaxed) }
}
