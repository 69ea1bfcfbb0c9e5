import FlotillaModel
import Hummingbird

/// What a request needs to be allowed, decided from its method and path alone, so that every
/// route — also one added later — falls under a rule: reads need `read`, everything that can
/// change the cluster needs `write`.
enum Permission: String, Sendable {
    /// Status, machines, events, history, units, metrics, health, and plan dry-runs.
    case read
    /// A unit's journal (it may hold secrets): admins and other agents only.
    case logs
    /// Signing a new machine's certificates.
    case join
    /// Signing a member machine's renewed certificates (the machine itself, by its certificate).
    case renew
    /// Every change (apply, start/stop, destroy, rollback, cordon…) and token management.
    case admin

    /// The permission `method path` needs.
    static func of(method: HTTPRequest.Method, path: String) -> Permission {
        if path.hasPrefix("/v1/logs/") { return .logs }
        if path == "/v1/join" { return method == .post ? .join : .read }
        if path == "/v1/renew" { return method == .post ? .renew : .read }
        if path == "/v1/tokens" || path.hasPrefix("/v1/tokens/") { return .admin }
        switch method {
        case .get, .head: return .read
        case .post where path == "/v1/plan": return .read
        default: return .admin
        }
    }

    /// Whether `role` has it.
    func allowed(for role: Role) -> Bool {
        switch (self, role) {
        case (_, .admin): return true
        case (.read, .viewer), (.read, .agent), (.logs, .agent), (.renew, .agent): return true
        case (.join, .join): return true
        default: return false
        }
    }

    /// Whether a request is recorded in the audit trail: every one that may change something
    /// (not a read, not a plan dry-run).
    static func audited(method: HTTPRequest.Method, permission: Permission) -> Bool {
        permission != .read && method != .get && method != .head
    }
}
