import NIOCore
import NIOHTTP2

/// Answers the server's HTTP/2 PING frames on a client connection before swift-nio-http2 sees
/// them, and passes every other frame through untouched.
///
/// Why: swift-nio-http2 1.46 rate-limits inbound control frames (PING, SETTINGS, …) to 200 per
/// 30 s and closes the connection with GOAWAY ENHANCE_YOUR_CALM beyond that; grpc-swift-nio-
/// transport 2.9 offers no setting for it. etcd (grpc-go) estimates bandwidth with a PING after
/// each burst of DATA it receives, i.e. about one per request, so any client making more than
/// ~7 requests/s on one connection to a real etcd lost that connection every 30 s (`Stream
/// unexpectedly closed`). Answering those PINGs here (an ACK with the same 8 bytes, as RFC 9113
/// §6.7 asks) keeps them out of the rate limiter; PING ACKs (answers to our own keepalive
/// pings) still reach swift-nio-http2.
///
/// The handler sits between the TLS handler (if any) and the HTTP/2 handler and tracks frame
/// boundaries on the raw bytes: 9-byte frame headers, length-prefixed payloads.
final class ServerPingAnswering: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let headerSize = 9
    private static let pingType: UInt8 = 6
    private static let ackFlag: UInt8 = 1
    private static let pingPayloadSize = 8

    /// Bytes of a frame start not yet complete (a partial header, or a partial PING).
    private var pending = ByteBuffer()
    /// Bytes of the current non-PING frame still to pass through.
    private var passThrough = 0

    /// Installs the handler in front of the HTTP/2 handler of a freshly created client
    /// channel (use as `channelDebuggingCallbacks.onCreateTCPConnection`).
    static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            let http2 = try pipeline.context(handlerType: NIOHTTP2Handler.self)
            try pipeline.addHandler(ServerPingAnswering(), position: .before(http2.handler))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        var forward: ByteBuffer?
        var answered = false
        while input.readableBytes > 0 {
            if passThrough > 0 {
                let slice = input.readSlice(length: min(passThrough, input.readableBytes))!
                passThrough -= slice.readableBytes
                append(slice, to: &forward)
                continue
            }
            fill(from: &input, upTo: Self.headerSize)
            guard pending.readableBytes >= Self.headerSize else { break }
            let start = pending.readerIndex
            let length = Int(pending.getInteger(at: start, as: UInt8.self)!) << 16
                | Int(pending.getInteger(at: start + 1, as: UInt8.self)!) << 8
                | Int(pending.getInteger(at: start + 2, as: UInt8.self)!)
            let type = pending.getInteger(at: start + 3, as: UInt8.self)!
            let flags = pending.getInteger(at: start + 4, as: UInt8.self)!
            if type == Self.pingType && flags & Self.ackFlag == 0 && length == Self.pingPayloadSize {
                fill(from: &input, upTo: Self.headerSize + Self.pingPayloadSize)
                guard pending.readableBytes == Self.headerSize + Self.pingPayloadSize else { break }
                pending.moveReaderIndex(forwardBy: Self.headerSize)
                let payload = pending.readSlice(length: Self.pingPayloadSize)!
                var ack = context.channel.allocator.buffer(capacity: Self.headerSize + Self.pingPayloadSize)
                ack.writeBytes([0, 0, UInt8(Self.pingPayloadSize), Self.pingType, Self.ackFlag, 0, 0, 0, 0])
                ack.writeImmutableBuffer(payload)
                context.write(wrapOutboundOut(ack), promise: nil)
                answered = true
            } else {
                passThrough = length
                append(pending, to: &forward)
            }
            pending.clear()
        }
        if answered { context.flush() }
        if let forward { context.fireChannelRead(wrapInboundOut(forward)) }
    }

    /// Moves bytes from `input` into ``pending`` until it holds `size` bytes or input runs out.
    private func fill(from input: inout ByteBuffer, upTo size: Int) {
        let wanted = min(size - pending.readableBytes, input.readableBytes)
        if wanted > 0 { pending.writeImmutableBuffer(input.readSlice(length: wanted)!) }
    }

    private func append(_ bytes: ByteBuffer, to forward: inout ByteBuffer?) {
        if forward == nil { forward = bytes } else { forward!.writeImmutableBuffer(bytes) }
    }
}
