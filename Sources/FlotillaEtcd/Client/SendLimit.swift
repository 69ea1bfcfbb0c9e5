import FlotillaStore
import SwiftProtobuf

/// The client's send limit (etcd clientv3 `MaxCallSendMsgSize`): requests whose encoding is
/// larger fail before they are sent, with the code and text grpc-go's client uses.
/// Ordinary requests are not encoded twice: only one whose byte fields come near the limit
/// is measured exactly.
struct SendLimit: Sendable {
    /// Largest encoded request, in bytes.
    var bytes: Int

    /// Throws `resourceExhausted` ("grpc: trying to send message larger than max (N vs. M)")
    /// when `message` is over the limit; `payload` is the request's key and value bytes.
    func check(_ message: some SwiftProtobuf.Message, payload: Int) throws {
        guard payload > bytes / 2 else { return }
        let size = (try message.serializedBytes() as [UInt8]).count
        if size > bytes {
            throw StoreError(.resourceExhausted, "grpc: trying to send message larger than max (\(size) vs. \(bytes))")
        }
    }

    /// Key, value and range-end bytes of a transaction, nested ones included.
    static func payload(_ txn: TxnRequest) -> Int {
        var total = 0
        for compare in txn.compare {
            total += compare.key.count + compare.rangeEnd.count
            if case .value(let value) = compare.target { total += value.count }
        }
        for op in txn.success + txn.failure {
            switch op {
            case .range(let range): total += range.key.count + range.rangeEnd.count
            case .put(let put): total += put.key.count + put.value.count
            case .deleteRange(let delete): total += delete.key.count + delete.rangeEnd.count
            case .txn(let nested): total += payload(nested)
            }
        }
        return total
    }
}
