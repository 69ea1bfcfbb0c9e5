import Dispatch
import Synchronization

/// One dispatch timer that calls `fire` at the time last asked for (re-arming replaces the
/// previous time). The supervisor uses one for every unit deadline and housekeeping.
final class TickTimer: Sendable {
    private let source: Mutex<(any DispatchSourceTimer)?>
    private let fire: @Sendable () -> Void

    init(fire: @escaping @Sendable () -> Void) {
        self.fire = fire
        source = Mutex(nil)
    }

    deinit { cancel() }

    /// Fires once, `seconds` from now (at once when not positive).
    func arm(in seconds: Double) {
        source.withLock { source in
            if source == nil {
                let timer = DispatchSource.makeTimerSource(queue: .global())
                timer.setEventHandler(handler: fire)
                timer.schedule(deadline: .now() + max(0, seconds))
                timer.activate()
                source = timer
            } else {
                source?.schedule(deadline: .now() + max(0, seconds))
            }
        }
    }

    /// Stops for good.
    func cancel() {
        source.withLock { source in
            source?.cancel()
            source = nil
        }
    }
}
