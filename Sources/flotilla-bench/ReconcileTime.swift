import CoreMetrics
import Synchronization

/// The controller's reconcile passes as this process's metrics report them: how many, and
/// the wall time they took in total (reading the cluster, deciding, committing). Every other
/// metric is dropped.
///
/// `flotilla-bench cluster` bootstraps it once, so the in-process hollow cluster's
/// controller can be told apart from its agents and store in the CPU figures.
final class ReconcileTime: MetricsFactory, TimerHandler, Sendable {
    /// The one factory of this process (swift-metrics allows one bootstrap).
    static let shared: ReconcileTime = {
        let factory = ReconcileTime()
        MetricsSystem.bootstrap(factory)
        return factory
    }()

    private let totals = Mutex((passes: 0, nanoseconds: Int64(0)))

    /// Passes so far and their summed duration in seconds.
    var reading: (passes: Int, seconds: Double) {
        totals.withLock { ($0.passes, Double($0.nanoseconds) / 1e9) }
    }

    func recordNanoseconds(_ duration: Int64) {
        totals.withLock { $0.passes += 1; $0.nanoseconds += duration }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        label == "flotilla_reconcile_duration_seconds" ? self : NOOPMetricsHandler.instance
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { NOOPMetricsHandler.instance }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
