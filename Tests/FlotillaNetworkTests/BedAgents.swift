import FlotillaEtcd
import FlotillaNetwork
import FlotillaStore
import FlotillaTesting
import Foundation

/// Real `flotilla agent`s on the hosts of a test bed: agent 1 bootstraps the cluster and serves
/// the embedded store on host 1's address; the others join through its API with its join
/// token. Every agent and CLI run gets `FLOTILLA_CONFIG=<directory>/client.yaml`, which agent 1
/// writes (its API URL, the admin token, the CA).
enum BedAgents {
    /// Starts agent 1 on host 1 (bootstraps, serves the store on its address), then the others
    /// joining through it, each with its `flags`; returns their state directories, processes
    /// and command lines.
    static func start(_ bed: TestBed, directory: String, ttl: Int = 3, flags: [[String]]) async throws -> TestBed.Agents {
        try await bed.startAgents(executable: BuiltFlotilla.path, state: { "\(directory)/a\($0.index)" }, log: { "\(directory)/a\($0.index).log" },
                                  ttl: ttl, flags: flags, environment: ["FLOTILLA_CONFIG": directory + "/client.yaml"])
    }

    /// A client of agent 1's store, with agent 1's client certificate; the caller closes it.
    static func store(_ bed: TestBed, directory: String) throws -> EtcdStore {
        let tls = directory + "/a1/tls/"
        return try EtcdStore.running(configuration: .init(
            endpoints: ["\(bed.hosts[0].address):2379"],
            transportSecurity: try EtcdTLS.files(ca: tls + "ca.crt", certificate: tls + "client.crt", key: tls + "client.key").clientSecurity))
    }

    /// Agents on every host (TTL 2 s), the overlay turned on with `backend` over `network`, and
    /// every machine's subnet; the caller closes the store.
    static func onOverlay(_ bed: TestBed, directory: String, backend: String, network: String) async throws
        -> (agents: TestBed.Agents, store: EtcdStore, subnets: [IPv4Subnet]) {
        let agents = try await start(bed, directory: directory, ttl: 2, flags: Array(repeating: [], count: bed.hosts.count))
        let store = try store(bed, directory: directory)
        try await store.put("/coreos.com/network/config", #"{"Network": "\#(network)", "Backend": {"Type": "\#(backend)"}}"#)
        return (agents, store, try await bed.waitForSubnets(agents))
    }

    /// Runs `flotilla ARGS` from the root namespace as the cluster's admin (agent 1's client config).
    static func cli(_ arguments: [String], directory: String) throws -> (status: Int32, output: String) {
        try IPRoute2.execute("/usr/bin/env", ["FLOTILLA_CONFIG=\(directory)/client.yaml", BuiltFlotilla.path] + arguments)
    }
}

/// Polls `value` every 100 ms for up to 30 s; fails naming `what` when it stays nil.
func bedEventually<T>(_ what: String, _ value: () async throws -> T?) async throws -> T {
    for _ in 0..<300 {
        if let found = try await value() { return found }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestBedError("timed out waiting for \(what)")
}

extension EtcdStore {
    /// Writes `value` at `key` (text, no lease).
    func put(_ key: String, _ value: String) async throws {
        _ = try await put(PutRequest(key: Bytes(utf8: key), value: Bytes(utf8: value)))
    }
}
