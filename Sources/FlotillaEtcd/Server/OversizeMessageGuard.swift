import FlotillaStore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Ends a call whose client sends a gRPC message larger than the receive limit with
/// `RESOURCE_EXHAUSTED "grpc: received message larger than max (N vs. LIMIT)"`, as etcd
/// (grpc-go) answers, instead of the stream reset grpc-swift sends on its own.
///
/// It sits first in each HTTP/2 stream's pipeline and follows the gRPC framing of the
/// inbound DATA (a 5-byte prefix holding each message's length); at the first prefix over the
/// limit it answers with trailers and closes the stream, and nothing of that message reaches
/// the service (so nothing of it is applied).
final class OversizeMessageGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The largest message accepted, in bytes.
    let limit: Int
    /// The bytes of a message prefix read so far (fewer than 5).
    private var prefix: [UInt8] = []
    /// Bytes of the current message's body still to come.
    private var remaining = 0
    /// Whether the server has sent its response headers (trailers then go without `:status`).
    private var responding = false
    /// Whether the call was refused: later inbound frames are dropped.
    private var refused = false

    init(limit: Int) { self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .data(let frame) = unwrapInboundIn(data), case .byteBuffer(var buffer) = frame.data,
           let length = oversize(in: &buffer) {
            refuse(context: context, length: length)
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .headers = unwrapOutboundIn(data) { responding = true }
        context.write(data, promise: promise)
    }

    /// Follows the framing through `buffer`; the length of the first message over the limit.
    private func oversize(in buffer: inout ByteBuffer) -> Int? {
        while buffer.readableBytes > 0 {
            if remaining > 0 {
                let skipped = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skipped)
                remaining -= skipped
                continue
            }
            let taken = min(5 - prefix.count, buffer.readableBytes)
            prefix += buffer.readBytes(length: taken) ?? []
            guard prefix.count == 5 else { break }
            let length = prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            prefix.removeAll(keepingCapacity: true)
            if length > limit { return length }
            remaining = length
        }
        return nil
    }

    /// Answers with RESOURCE_EXHAUSTED trailers and closes the stream.
    private func refuse(context: ChannelHandlerContext, length: Int) {
        refused = true
        var fields: [(String, String)] = []
        if !responding { fields = [(":status", "200"), ("content-type", "application/grpc")] }
        fields += [("grpc-status", "8"), ("grpc-message", "grpc: received message larger than max (\(length) vs. \(limit))")]
        let trailers = HTTP2Frame.FramePayload.headers(.init(headers: HPACKHeaders(fields), endStream: true))
        context.writeAndFlush(wrapOutboundOut(trailers)).whenComplete { _ in context.close(promise: nil) }
    }
}
