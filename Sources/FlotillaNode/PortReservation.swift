import FlotillaAgent
import Glibc

/// A TCP port picked by the kernel and held until the API listens on it: a socket bound with
/// `SO_REUSEADDR` to `host:0` that never listens. While it is open no other `bind(…:0)` gets
/// the port, and the API's listener (also `SO_REUSEADDR`) can still bind it, which a
/// bind-and-close probe could not promise. So the node knows its API URL before it runs.
final class PortReservation: Sendable {
    /// The port the kernel picked.
    let port: Int
    private let descriptor: Int32

    /// Reserves a free port on `host` (an IPv4 address; `localhost` is 127.0.0.1).
    init(host: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AgentError("cannot reserve a port on \(host): socket() failed (errno \(errno))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            close(fd)
            throw AgentError("cannot reserve a port on \(host): not an IPv4 address; give --listen an explicit port")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw AgentError("cannot reserve a port on \(host): bind failed (errno \(errno))")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptor = fd
    }

    deinit { close(descriptor) }
}
