import FlotillaStore
import SwiftProtobuf

/// Splits a watch response whose encoding would reach a size limit into several, as etcd
/// 3.4 does for watches created with `fragment = true`: every piece keeps the header and
/// watch ID, carries `fragment = true` except the last, and stays under the limit unless it
/// holds a single event (an event is never split). Responses under the limit, or with fewer
/// than two events, are sent whole. Clients join pieces until one without `fragment`.
enum WatchFragments {
    /// The size etcd 3.4 keeps pieces under: `--max-request-bytes` (1.5 MiB) plus its 512 KiB
    /// allowance for gRPC overhead, 2 MiB in all (measured against etcd 3.4.23).
    static let limit = EtcdServer.maxMessageBytes

    /// The pieces to send for `response`, whose encoding must stay under `limit` bytes.
    static func split(_ response: Etcdserverpb_WatchResponse, limit: Int) -> [Etcdserverpb_WatchResponse] {
        guard response.events.count > 1 else { return [response] }
        var shell = response
        shell.events = []
        shell.fragment = true
        // Protobuf sizes add up: the shell, plus per event its tag (field 11: one byte), its
        // length as a varint, and its bytes. So one encoding per event is enough.
        let shellSize = encodedSize(shell)
        let eventSizes = response.events.map { event -> Int in
            let size = encodedSize(event)
            return 1 + varintSize(size) + size
        }
        if shellSize + eventSizes.reduce(0, +) - 2 < limit { return [response] }   // - 2: whole, it has no fragment flag

        var pieces: [Etcdserverpb_WatchResponse] = []
        var index = 0
        while index < response.events.count {
            var piece = shell
            var size = shellSize
            while index < response.events.count {
                if !piece.events.isEmpty && size + eventSizes[index] >= limit { break }
                piece.events.append(response.events[index])
                size += eventSizes[index]
                index += 1
            }
            piece.fragment = index < response.events.count
            pieces.append(piece)
        }
        return pieces
    }

    private static func encodedSize(_ message: some SwiftProtobuf.Message) -> Int {
        ((try? message.serializedBytes()) as [UInt8]?)?.count ?? 0
    }

    private static func varintSize(_ value: Int) -> Int {
        var size = 1
        var rest = UInt64(value) >> 7
        while rest != 0 { size += 1; rest >>= 7 }
        return size
    }
}
