import Metrics

/// The membership's instruments (Prometheus names; `/metrics` on every agent).
struct MembershipMetrics: Sendable {
    /// Keep-alives the store accepted.
    let renewals = Counter(label: "flotilla_lease_renewals_total")
    /// Keep-alives that failed or found the lease gone.
    let misses = Counter(label: "flotilla_lease_misses_total")
    /// Registrations under a fresh lease (the first, and each after a lost lease).
    let registrations = Counter(label: "flotilla_lease_registrations_total")

    /// Self-fencing transitions: `lapsed` (exclusive units stopped).
    let lapses = Counter(label: "flotilla_fence_events_total", dimensions: [("event", "lapsed")])
    /// Self-fencing transitions: `recovered` (the lease was renewed before it expired).
    let recoveries = Counter(label: "flotilla_fence_events_total", dimensions: [("event", "recovered")])
}
