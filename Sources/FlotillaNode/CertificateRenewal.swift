import FlotillaSecurity
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Renewal of a running agent's certificates. The TLS servers (API, embedded store) hold the
/// certificates they started with, so renewal is a restart: when the certificates enter
/// their renewal window (``MachineCertificates/renewalWindow`` before the earlier expiry),
/// this service ends, which stops the agent's other services gracefully (its units keep
/// running, as on any agent stop), and ``restartRequested`` tells `flotilla agent` to start
/// itself again in the same process; the new start renews them (``NodeCredentials``) and
/// adopts the units.
package final class CertificateRenewal: Service, Sendable {
    /// When the certificates are due.
    let due: Date
    /// How long an agent that started with certificates already due (and could not renew
    /// them) runs before it tries again.
    static let retryInterval: TimeInterval = 3600
    private let requested = Mutex(false)
    private let logger: Logger

    init(certificates: MachineCertificates, logger: Logger) {
        due = min(certificates.server.notValidAfter, certificates.client.notValidAfter)
            .addingTimeInterval(-MachineCertificates.renewalWindow)
        self.logger = logger
    }

    /// Whether the agent stopped so that its certificates are renewed at a new start.
    package var restartRequested: Bool { requested.withLock { $0 } }

    package func run() async throws {
        // Already due: this start could not renew (the signer was unreachable); try again
        // in an hour rather than restarting at once, again and again.
        let wait = due.timeIntervalSinceNow > 0 ? due.timeIntervalSinceNow : Self.retryInterval
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(wait)) }
        } catch {
            return   // the agent is stopping anyway
        }
        requested.withLock { $0 = true }
        logger.info("certificates due for renewal: restarting the agent to renew them (units keep running)",
                    metadata: ["due": "\(due)"])
    }
}
