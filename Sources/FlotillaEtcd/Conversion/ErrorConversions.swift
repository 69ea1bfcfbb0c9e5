import FlotillaStore
import GRPCCore

/// Metadata key carrying ``StoreError/compactRevision`` next to a "compacted" error, so a
/// Flotilla client gets the same `StoreError` value the backend threw. Real etcd never sends
/// it; against etcd the client reports compact revision 0 for compacted reads.
package let compactRevisionMetadataKey = "flotilla-compact-revision"

extension RPCError {
    /// The gRPC status a store error travels as: same code, etcd's exact text.
    package init(_ error: StoreError) {
        let code = RPCError.Code(Status.Code(rawValue: error.code.rawValue) ?? .unknown) ?? .unknown
        var metadata: Metadata = [:]
        if error.compactRevision != 0 {
            metadata.addString(String(error.compactRevision), forKey: compactRevisionMetadataKey)
        }
        self.init(code: code, message: error.message, metadata: metadata)
    }
}

extension StoreError {
    /// etcd's error texts that clients match on, by text (clientv3 `errStringToError`).
    package static let knownErrors: [String: StoreError] = {
        let all: [StoreError] = [.keyNotProvided, .tooManyOperations, .duplicateKey, .keyNotFound,
                                 .valueProvided, .leaseProvided, .requestTooLarge, .leaseNotFound,
                                 .leaseExists, .leaseTTLTooLarge, .futureRevision,
                                 .compacted(compactRevision: 0)]
        return Dictionary(all.map { ($0.message, $0) }, uniquingKeysWith: { a, _ in a })
    }()

    /// The store error a gRPC error stands for. etcd's texts map back to the matching
    /// constant (so errors compare equal across backends); transport failures become
    /// ``StoreError/unavailable(_:)``; anything else keeps its code (or `internal`) and text.
    package init(rpc error: RPCError) {
        if var known = StoreError.knownErrors[error.message] {
            if let text = error.metadata[stringValues: compactRevisionMetadataKey].first(where: { _ in true }),
               let revision = Int64(text) {
                known.compactRevision = revision
            }
            self = known
            return
        }
        switch error.code {
        case .unavailable: self = .unavailable(error.message)
        case .cancelled: self.init(.cancelled, error.message)
        case .deadlineExceeded: self.init(.deadlineExceeded, error.message)
        default:
            self.init(StoreError.Code(rawValue: error.code.rawValue) ?? .internal, error.message)
        }
    }

    /// Any error from a gRPC call as a store error.
    package static func from(_ error: any Error) -> StoreError {
        if let store = error as? StoreError { return store }
        if let rpc = error as? RPCError { return StoreError(rpc: rpc) }
        if error is CancellationError { return StoreError(.cancelled, "context canceled") }
        return .unavailable(String(describing: error))
    }
}

/// Runs a server handler body, turning store errors into etcd's gRPC statuses.
package func withEtcdErrors<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw RPCError(error)
    }
}
