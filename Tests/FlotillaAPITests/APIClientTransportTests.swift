import FlotillaAPI
import FlotillaSecurity
import Foundation
import Glibc
import Testing

/// How the API client reports an endpoint that is not a working Flotilla API: nothing
/// listening, a server that never answers, a server that does not speak HTTP.
@Suite("API client transport")
struct APIClientTransportTests {
    /// A loopback listener that accepts connections and does `behave` with each, on a thread.
    ///
    /// ``stop()`` only shuts the listener down; the thread closes it once its `accept` fails.
    /// Closing it in ``stop()`` would free the descriptor number while the thread may still be
    /// in `behave`: its next `accept` would then take the connections of whatever socket the
    /// next test opened under that number.
    private final class RawServer: @unchecked Sendable {
        let fd: Int32
        let port: Int

        init(_ behave: @escaping @Sendable (Int32) -> Void) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listening = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard listening else { close(fd); throw TestFailure("cannot listen on loopback") }
            port = Int(UInt16(bigEndian: address.sin_port))
            let listener = fd
            Thread {
                while true {
                    let connection = accept(listener, nil, nil)
                    if connection < 0 { break } // shut down
                    behave(connection)
                }
                close(listener)
            }.start()
        }

        func stop() { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// A client of `127.0.0.1:port` trusting a CA of its own.
    private func client(_ port: Int, timeout: TimeInterval = 30) throws -> APIClient {
        try APIClient(endpoint: "127.0.0.1:\(port)", credentials: APICredentials(caPEM: try ClusterCA.create().certificatePEM), timeout: timeout)
    }

    private func failure(of client: APIClient) async -> APIClientError? {
        do {
            _ = try await client.health()
            return nil
        } catch {
            return error as? APIClientError
        }
    }

    @Test("nothing listening: unreachable, connection refused")
    func refused() async throws {
        let server = try RawServer { close($0) }
        let port = server.port
        server.stop()
        let error = await failure(of: try client(port))
        guard case .unreachable(_, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail == "connection refused")
    }

    @Test("a server that takes the request and never answers: unreachable once the timeout passes")
    func silent() async throws {
        let held = HeldConnections()
        let server = try RawServer { held.keep($0) }
        defer { server.stop(); held.closeAll() }
        // The server holds the connection open until the test ends: only the client's own
        // deadline can end the request.
        let error = await failure(of: try client(server.port, timeout: 0.5))
        guard case .unreachable(_, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail == "no answer in time")
    }

    @Test("a server that does not speak TLS: the handshake fails, and the message says so")
    func notHTTP() async throws {
        let server = try RawServer { connection in
            // Read the request, answer, and close only after the client has: an end of stream
            // right behind the banner would race the client's parser.
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = read(connection, &buffer, buffer.count)
            let banner = Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)
            _ = write(connection, banner, banner.count)
            while read(connection, &buffer, buffer.count) > 0 {}
            close(connection)
        }
        defer { server.stop() }
        let error = await failure(of: try client(server.port, timeout: 300))
        guard case .unreachable(_, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail.contains("TLS handshake failed"))
    }

    @Test("http endpoints are refused up front: the agent API serves HTTPS only")
    func httpIsRefused() throws {
        let credentials = APICredentials(caPEM: try ClusterCA.create().certificatePEM)
        #expect(throws: APIClientError.self) { try APIClient(endpoint: "http://127.0.0.1:4880", credentials: credentials) }
    }
}

/// Connections a silent test server holds open until the test ends.
private final class HeldConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptors: [Int32] = []
    func keep(_ fd: Int32) { lock.withLock { descriptors.append(fd) } }
    func closeAll() { lock.withLock { for fd in descriptors { close(fd) }; descriptors = [] } }
}
