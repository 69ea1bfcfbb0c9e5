import FlotillaSecurity

/// How the API guards its door: the machine's certificates (the server certificate it
/// serves, the CA it trusts client certificates of, its own client certificate for calls to
/// other agents, and the CA key when this machine signs joins), and what a joining machine
/// is told about the store.
public struct APISecurity: Sendable {
    /// This machine's TLS material.
    public var certificates: MachineCertificates
    /// The store endpoints a joining agent is given (the embedded store's URL, or the etcd
    /// cluster's endpoints).
    public var storeEndpoints: [String]
    /// Failed authentications allowed per source address per minute before it gets 429.
    public var failedLoginLimit: Int

    public init(certificates: MachineCertificates, storeEndpoints: [String], failedLoginLimit: Int = 20) {
        self.certificates = certificates; self.storeEndpoints = storeEndpoints; self.failedLoginLimit = failedLoginLimit
    }
}
