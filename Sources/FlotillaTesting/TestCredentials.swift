import FlotillaAPI
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import Foundation

/// A cluster's credentials for tests that run an ``APIServer`` in-process: a fresh CA with a
/// machine's certificates, and an admin token stored (hashed) in the test's store, as a
/// bootstrapping agent makes them. ``caFile`` holds the CA for the CLI (`FLOTILLA_CACERT`).
public struct TestCredentials: Sendable {
    public let certificates: MachineCertificates
    public let admin: AccessToken
    /// The CA certificate's file.
    public let caFile: String

    /// Makes certificates for `machineID` signed by `ca` (a new CA when nil), stores an admin
    /// token `admin-<machineID>` in `store`, and writes the CA to `directory/ca.crt`.
    public static func make(store: any KeyValueStore, layout: StoreLayout = StoreLayout(), machineID: String = "m1",
                            directory: String, ca: ClusterCA? = nil) async throws -> TestCredentials {
        let certificates = try MachineCertificates.issue(by: try ca ?? ClusterCA.create(), machineID: machineID, names: ServerNames(hosts: []))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let caFile = directory + "/ca.crt"
        try SecretFile.write(certificates.ca.certificatePEM, to: caFile, mode: 0o644)
        let credentials = TestCredentials(certificates: certificates, admin: AccessToken.generate(name: "admin-\(machineID)"), caFile: caFile)
        try await credentials.store(credentials.admin, role: .admin, in: store, layout: layout)
        return credentials
    }

    /// Stores `token` with `role` (expiring at `expires`, seconds since 1970).
    public func store(_ token: AccessToken, role: Role, expires: Double? = nil, in store: any KeyValueStore,
                      layout: StoreLayout = StoreLayout()) async throws {
        let record = TokenRecord(name: token.name, role: role, hash: token.hash, created: Date().timeIntervalSince1970,
                                 expires: expires, createdBy: "test")
        _ = try await store.put(PutRequest(key: Bytes(utf8: layout.token(token.name)), value: RecordCodec.encode(record)))
    }

    /// What the server needs.
    public func security(storeEndpoints: [String] = [], failedLoginLimit: Int = 20) -> APISecurity {
        APISecurity(certificates: certificates, storeEndpoints: storeEndpoints, failedLoginLimit: failedLoginLimit)
    }

    /// A client of `endpoint` with the admin token (or `token`).
    public func client(_ endpoint: String, token: String? = nil, timeout: TimeInterval = 20) throws -> APIClient {
        try APIClient(endpoint: endpoint, credentials: APICredentials(caPEM: certificates.ca.certificatePEM, token: token ?? admin.text),
                      timeout: timeout)
    }

    /// The environment a `flotilla` CLI process needs to reach the server: the CA file, the
    /// admin token, and no client config of the user's.
    public var environment: [String: String] {
        [APIClient.caVariable: caFile, APIClient.tokenVariable: admin.text,
         ClientConfig.pathVariable: (caFile as NSString).deletingLastPathComponent + "/no-client-config.yaml"]
    }
}
