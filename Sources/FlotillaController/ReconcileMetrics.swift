import Metrics

/// The controller's instruments, created once per loop from the process's metrics factory
/// (a no-op unless the node bootstraps one, e.g. Prometheus).
struct ReconcileMetrics: Sendable {
    /// `flotilla_reconcile_passes_total`: passes run (also those that decided nothing).
    let passes = Counter(label: "flotilla_reconcile_passes_total")
    /// `flotilla_reconcile_duration_seconds`: read, decide and commit of one pass.
    let duration = Timer(label: "flotilla_reconcile_duration_seconds", preferredDisplayUnit: .seconds)
    /// `flotilla_placements_total`: assignments written (new, moved or updated instances).
    let placements = Counter(label: "flotilla_placements_total")
    /// `flotilla_unplaced_instances`: instances the last pass could not place.
    let unplaced = Gauge(label: "flotilla_unplaced_instances")

    /// Records one finished pass (committed or not).
    func pass(took elapsed: Duration, _ decision: Decision) {
        passes.increment()
        let (seconds, attoseconds) = elapsed.components
        duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        unplaced.record(decision.unplaced.count)
    }

    /// Records the assignments of a committed decision.
    func committed(_ decision: Decision) {
        placements.increment(by: decision.placements)
    }
}
