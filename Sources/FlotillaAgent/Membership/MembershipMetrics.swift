import Metrics

/// The membership's instruments (Prometheus names; `/metrics` on every agent).
struct MembershipMetrics: Sendable {
    /// Keep-alives the store accepted.
    let renewals = Counter(label: "flotilla_lease_renewals_total")
    /// Keep-alives that failed or found the lease gone.
    let misses = Counter(label: "flotilla_lease_misses_total")
    /// Registrations under a fresh lease (the first, and each after a lost lease).
    let registrations = Counter(label: "flotilla_lease_registrations_total")

    /// Self-fencing transitions: `lapsed` (exclusive units stopped) and `recovered`.
    func fences(_ kind: FenceEventKind) -> Counter {
        Counter(label: "flotilla_fence_events_total", dimensions: [("event", kind.rawValue)])
    }
}

/// The two self-fencing transitions, as counted.
enum FenceEventKind: String, Sendable {
    case lapsed, recovered
}
