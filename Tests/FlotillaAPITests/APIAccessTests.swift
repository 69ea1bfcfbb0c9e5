@testable import FlotillaAPI
import FlotillaModel
import FlotillaSecurity
import FlotillaStore
import FlotillaTesting
import Foundation
import Testing

/// The API's door: every route needs credentials and a role that may use it; changes are
/// audited; failed authentications are rate limited; web pages are not trusted.
@Suite("API access: TLS, tokens, roles, audit")
struct APIAccessTests {
    /// The HTTP status of a `curl -si` answer (0 when none came).
    private func status(_ answer: String) -> Int {
        guard answer.hasPrefix("HTTP/"), let code = answer.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return code
    }

    /// Whether a viewer may use `method path` (reads, and plan dry-runs; not logs, not tokens).
    private func viewerMay(_ method: String, _ path: String) -> Bool {
        if path.hasPrefix("/v1/logs") || path.hasPrefix("/v1/tokens") { return false }
        return method == "GET" || path == "/v1/plan"
    }

    @Test("every route: 401 without credentials and with an expired or revoked token, 403 for a viewer on changes, served for an admin; plain HTTP gets no answer")
    func everyRoute() async throws {
        let store = InMemoryStore()
        // Three refused calls per route: more than the default limit of failed authentications.
        try await withSecuredAPIServer(store: store, failedLoginLimit: 1000) { client, port, credentials in
            let server = APIServer(store: store, layout: layout, machineID: "m1", logs: JournalLogSource(directory: "/nonexistent"),
                                   security: credentials.security())
            let routes = server.routes()
            #expect(routes.count >= 20 && routes.contains { $0.method == "POST" && $0.path == "/v1/apply" }, "\(routes)")
            let viewer = AccessToken.generate(name: "viewer-1"), expired = AccessToken.generate(name: "old-1")
            try await credentials.store(viewer, role: .viewer, in: store)
            try await credentials.store(expired, role: .admin, expires: Date().timeIntervalSince1970 - 1, in: store)
            let revoked = try await client.createToken(TokenCreateRequest(name: "gone-1", role: .admin, ttl: nil))
            _ = try await client.revokeToken("gone-1")
            let base = "https://127.0.0.1:\(port)"
            for (method, path) in routes {
                let url = base + path.replacingOccurrences(of: #":[a-z]+"#, with: "x", options: .regularExpression)
                let none = try await curl(method, url, credentials, token: "")
                #expect(status(none) == 401 && none.contains(#"{"error":"no credentials"#), "\(method) \(path) without credentials:\n\(none)")
                for token in [expired.text, revoked.token] {
                    let refused = try await curl(method, url, credentials, token: token)
                    #expect(status(refused) == 401, "\(method) \(path) with an expired or revoked token:\n\(refused)")
                }
                let asViewer = status(try await curl(method, url, credentials, token: viewer.text))
                if viewerMay(method, path) {
                    #expect(asViewer != 401 && asViewer != 403, "\(method) \(path) as a viewer: \(asViewer)")
                } else {
                    #expect(asViewer == 403, "\(method) \(path) as a viewer: \(asViewer)")
                }
                let asAdmin = status(try await curl(method, url, credentials))
                #expect(asAdmin >= 200 && asAdmin < 600 && asAdmin != 401 && asAdmin != 403, "\(method) \(path) as an admin: \(asAdmin)")
            }
            let expiredAnswer = try await curl("GET", base + "/v1/status", credentials, token: expired.text)
            #expect(expiredAnswer.contains("token old-1 expired at"), "\(expiredAnswer)")
            let plain = try await curl("GET", "http://127.0.0.1:\(port)/v1/status", credentials)
            #expect(status(plain) == 0, "plain HTTP is not answered:\n\(plain)")
        }
    }

    @Test("tokens: made with a role and expiry, listed without secrets, revoked; bad names and roles are refused")
    func tokenLifecycle() async throws {
        let store = InMemoryStore()
        try await withSecuredAPIServer(store: store) { client, port, credentials in
            let made = try await client.createToken(TokenCreateRequest(name: "ci", role: .viewer, ttl: 3600))
            #expect(made.token.hasPrefix("ci.") && made.role == .viewer && made.expires != nil)
            let join = try await client.createToken(TokenCreateRequest(name: nil, role: .join, ttl: 60))
            #expect(JoinToken(text: join.token)?.caFingerprint == credentials.certificates.ca.fingerprint, "a join token carries the CA's SHA-256")
            let listed = try await client.tokens().tokens
            #expect(Set(listed.map(\.name)) == ["admin-m1", "ci", join.name])
            let stored = try #require(try await store.range(RangeRequest(key: Bytes(utf8: layout.token("ci")))).kvs.first)
            #expect(!String(decoding: stored.value, as: UTF8.self).contains(String(made.token.dropFirst(3))), "the secret is not stored")
            let asViewer = try credentials.client("https://127.0.0.1:\(port)", token: made.token)
            #expect(try await asViewer.machines().machines.isEmpty)
            _ = try await client.revokeToken("ci")
            await #expect(throws: APIClientError.self) { try await asViewer.machines() }
            for bad in [TokenCreateRequest(name: "Bad/Name", role: .admin, ttl: nil), TokenCreateRequest(name: nil, role: .agent, ttl: nil),
                        TokenCreateRequest(name: nil, role: .admin, ttl: -1)] {
                do {
                    _ = try await client.createToken(bad)
                    Issue.record("\(bad) was accepted")
                } catch let error as APIClientError {
                    #expect(error.status == 400, "\(error)")
                }
            }
            await #expect(throws: APIClientError.self) { try await client.createToken(TokenCreateRequest(name: join.name, role: .admin, ttl: nil)) }
        }
    }

    @Test("changes are audited with who made them, the route and the result; reads are not")
    func audit() async throws {
        let store = InMemoryStore()
        try await withSecuredAPIServer(store: store) { client, _, _ in
            _ = try await client.apply(ApplyRequest(files: [SpecText(path: "web.yaml", text: stackFile("web", count: 1))]))
            _ = try? await client.stop(stack: "nope")
            _ = try await client.status()
            let audit = try await client.events(last: 100).events.map(\.event).filter { $0.kind == "audit" }
            #expect(audit.map(\.message) == ["token admin-m1 POST /v1/apply → 200", "token admin-m1 POST /v1/stacks/nope/stop → 404"])
            #expect(audit.allSatisfy { $0.source == "m1" })
            let lease = try #require(try await store.range(.prefix(Bytes(utf8: layout.events))).kvs.first?.lease)
            #expect(lease != 0, "audit events age out under a lease")
        }
    }

    @Test("a burst of bad tokens from one address gets 429 with Retry-After; other addresses are still served")
    func burstOfBadTokens() async throws {
        try await withSecuredAPIServer(store: InMemoryStore()) { _, port, credentials in
            let url = "https://127.0.0.1:\(port)/v1/status"
            var statuses: [Int] = []
            for k in 0..<25 { statuses.append(status(try await curl("GET", url, credentials, token: "guess-\(k).abcdef"))) }
            #expect(statuses.prefix(20).allSatisfy { $0 == 401 } && statuses.suffix(5).allSatisfy { $0 == 429 }, "\(statuses)")
            let limited = try await curl("GET", url, credentials)
            #expect(status(limited) == 429 && limited.lowercased().contains("retry-after:"), "\(limited)")
            let elsewhere = try await curl("GET", url, credentials, arguments: ["--interface", "127.0.0.2"])
            #expect(status(elsewhere) == 200, "another address is served:\n\(elsewhere)")
        }
    }

    @Test("failed authentications count for a minute per address")
    func failedLoginWindow() {
        let failures = FailedLogins(limit: 3, window: 60)
        for t in [0.0, 1, 2] { failures.record("a", now: t) }
        #expect(failures.blocked("a", now: 2) == 58 && failures.blocked("b", now: 2) == nil)
        #expect(failures.blocked("a", now: 60.5) == nil, "the first failure left the window")
    }

    @Test("a request a web page sends (with Origin) is refused even with a valid token")
    func browsersAreNotTrusted() async throws {
        try await withSecuredAPIServer(store: InMemoryStore()) { _, port, credentials in
            let answer = try await curl("POST", "https://127.0.0.1:\(port)/v1/apply", credentials,
                                        arguments: ["-H", "Origin: http://evil.example", "-H", "Content-Type: text/plain", "-d", "{}"])
            #expect(status(answer) == 403 && answer.contains("web pages"), "\(answer)")
        }
    }

    @Test("a Host that is not one of the server's names gets 421 (DNS rebinding); its IP addresses and certificate names are served")
    func foreignHostIsRefused() async throws {
        try await withSecuredAPIServer(store: InMemoryStore()) { _, port, credentials in
            let url = "https://127.0.0.1:\(port)/v1/machines"
            let rebound = try await curl("GET", url, credentials, arguments: ["-H", "Host: evil.example:\(port)"])
            #expect(status(rebound) == 421 && rebound.contains("the Host header 'evil.example:\(port)' is not a name of this server"),
                    "\(rebound)")
            for host in ["localhost:\(port)", "127.0.0.1", "[::1]:\(port)", "LocalHost"] {
                let served = try await curl("GET", url, credentials, arguments: ["-H", "Host: \(host)"])
                #expect(status(served) == 200, "Host: \(host)\n\(served)")
            }
        }
        #expect(HostCheck.hostPart("[fe80::1]:4880") == "fe80::1" && HostCheck.hostPart("a.b:1") == "a.b" && HostCheck.hostPart("::1") == "::1")
    }

    @Test("a machine renews its own certificates with its client certificate; not another machine's, not with a token")
    func machineRenewsItsCertificates() async throws {
        try await withSecuredAPIServer(store: InMemoryStore()) { admin, port, credentials in
            let ca = credentials.certificates.ca
            let due = try MachineCertificates.issue(by: ca, machineID: "m2", names: ServerNames(hosts: []),
                                                    now: Date().addingTimeInterval(-350 * 86_400))
            #expect(due.needsRenewal())
            let machine = try APIClient(endpoint: "https://127.0.0.1:\(port)", credentials: .machine(due))
            let enrollment = Enrollment()
            let requests = try enrollment.requests(machineID: "m2")
            let request = JoinRequest(machineID: "m2", serverRequest: requests.server, clientRequest: requests.client, hosts: ["10.1.2.3"])
            let answer = try await machine.renew(request)
            let renewed = try enrollment.certificates(ca: answer.ca, server: answer.serverCertificate, client: answer.clientCertificate)
            #expect(renewed.machineID == "m2" && !renewed.needsRenewal() && renewed.ca.fingerprint == ca.fingerprint)

            let other = try enrollment.requests(machineID: "m3")
            do {
                _ = try await machine.renew(JoinRequest(machineID: "m3", serverRequest: other.server, clientRequest: other.client, hosts: []))
                Issue.record("m2 renewed m3's certificates")
            } catch let error as APIClientError {
                #expect(error.status == 403 && "\(error)".contains("only its own certificates"), "\(error)")
            }
            do {
                _ = try await admin.renew(request)
                Issue.record("a token renewed a machine's certificates")
            } catch let error as APIClientError {
                #expect(error.status == 400 && "\(error)".contains("a token cannot"), "\(error)")
            }
        }
    }

    @Test("agents reach each other by any address (their certificate need not name it); people and joins by a name it lists or any name")
    func agentsDoNotCheckEachOthersNames() async throws {
        try await withSecuredAPIServer(store: InMemoryStore(), serverNames: ["elsewhere.example"]) { person, port, credentials in
            // A person's client checks the name: 127.0.0.1 is not in this server's certificate.
            do {
                _ = try await person.machines()
                Issue.record("a client checking names reached a server whose certificate does not name 127.0.0.1")
            } catch let error as APIClientError {
                #expect("\(error)".contains("the agent's certificate does not name the host called"), "\(error)")
            }
            // An agent's client does not: the cluster CA signs only cluster machines.
            let peer = try MachineCertificates.issue(by: credentials.certificates.ca, machineID: "m2", names: ServerNames(hosts: []))
            let agent = try APIClient(endpoint: "https://127.0.0.1:\(port)", credentials: .machine(peer))
            #expect(try await agent.machines().machines.isEmpty)
            // Renewal by a name the certificate does not list passes the Host check (a joined
            // machine may have joined through a DNS alias).
            let enrollment = Enrollment()
            let requests = try enrollment.requests(machineID: "m2")
            let directory = NSTemporaryDirectory() + "flotilla-alias-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try peer.client.serializeAsPEM().pemString.write(toFile: directory + "/m2.crt", atomically: true, encoding: .utf8)
            try peer.clientKey.pemRepresentation.write(toFile: directory + "/m2.key", atomically: true, encoding: .utf8)
            let body = try String(decoding: JSONEncoder().encode(JoinRequest(machineID: "m2", serverRequest: requests.server,
                                                                             clientRequest: requests.client, hosts: [])), as: UTF8.self)
            let renewed = try await output(of: "/usr/bin/curl", ["-si", "-m", "20", "-k", "--cert", directory + "/m2.crt", "--key", directory + "/m2.key",
                                                                 "-H", "Host: alias.example", "-H", "Content-Type: application/json",
                                                                 "-X", "POST", "https://127.0.0.1:\(port)/v1/renew", "-d", body])
            #expect(renewed.hasPrefix("HTTP/1.1 200"), "\(renewed.prefix(300))")
            let status = try await output(of: "/usr/bin/curl", ["-si", "-m", "20", "-k", "--cert", directory + "/m2.crt", "--key", directory + "/m2.key",
                                                                "-H", "Host: alias.example", "https://127.0.0.1:\(port)/v1/machines"])
            #expect(status.hasPrefix("HTTP/1.1 421"), "other routes still check Host: \(status.prefix(300))")
        }
    }
}
