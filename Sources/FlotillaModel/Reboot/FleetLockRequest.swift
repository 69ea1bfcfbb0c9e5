import Foundation

/// A FleetLock request (Zincati's `POST v1/pre-reboot` and `v1/steady-state`), checked as the
/// protocol says: the `fleet-lock-protocol: true` header is required (so a redirected request
/// is never acted on), the body is `{"client_params":{"id":…,"group":…}}` with a non-empty
/// `id` and a `group` of `[a-zA-Z0-9.-]+`, and no `Content-Type` is required.
public struct FleetLockRequest: Sendable, Hashable {
    /// The client's persistent identifier (Zincati: its app-specific machine ID).
    public var id: String
    /// The reboot group.
    public var group: String

    public init(id: String, group: String) {
        self.id = id; self.group = group
    }

    /// The request from its headers (any case) and body, or the error to answer with.
    public static func parse(headers: [String: String], body: [UInt8]) -> Result<FleetLockRequest, FleetLockError> {
        let header = headers.first { $0.key.lowercased() == "fleet-lock-protocol" }?.value
        guard header?.trimmingCharacters(in: .whitespaces).lowercased() == "true" else {
            return .failure(FleetLockError(.missingHeader, "the header 'fleet-lock-protocol: true' is required"))
        }
        struct Body: Decodable {
            struct Parameters: Decodable { var id: String; var group: String }
            var client_params: Parameters
        }
        let parsed: Body
        do {
            parsed = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            return .failure(FleetLockError(.decodeError, #"the body must be {"client_params":{"id":"…","group":"…"}}: \#(error)"#))
        }
        let id = parsed.client_params.id, group = parsed.client_params.group
        guard !id.isEmpty else { return .failure(FleetLockError(.invalidID, "client_params.id must not be empty")) }
        guard !group.isEmpty, group.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
            return .failure(FleetLockError(.invalidGroup, "client_params.group '\(group)' must be letters, digits, '.' and '-' (^[a-zA-Z0-9.-]+$)"))
        }
        return .success(FleetLockRequest(id: id, group: group))
    }
}

/// A FleetLock error: the HTTP status and the `{"kind","value"}` body Zincati logs and counts.
public struct FleetLockError: Error, Sendable, Hashable {
    /// The `kind` values this server answers with.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case missingHeader = "missing_header"
        case decodeError = "decode_error"
        case invalidID = "invalid_client_id"
        case invalidGroup = "invalid_group"
        case unknownID = "unknown_client_id"
        case semaphoreFull = "failed_lock_semaphore_full"
        /// The cluster cannot place every instance without the machine, or a disruption
        /// budget is spent: the machine waits (the value says why).
        case noCapacity = "failed_lock_no_capacity"
        /// The machine holds a slot and is being drained; asking again once its instances run
        /// elsewhere succeeds.
        case draining = "failed_lock_draining"
        /// The store could not be read or written.
        case storeError = "failed_lock_store"

        /// 4xx for what the client sent, 409 when it must wait, 503 when the store fails.
        public var status: Int {
            switch self {
            case .missingHeader, .decodeError, .invalidID, .invalidGroup: 400
            case .unknownID: 404
            case .semaphoreFull, .noCapacity, .draining: 409
            case .storeError: 503
            }
        }
    }

    public var kind: Kind
    /// The human text (Zincati logs it).
    public var value: String

    public init(_ kind: Kind, _ value: String) {
        self.kind = kind; self.value = value
    }

    /// `{"kind":"…","value":"…"}`.
    public var body: [UInt8] {
        let object = ["kind": kind.rawValue, "value": value]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}
