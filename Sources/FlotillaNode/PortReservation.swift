import FlotillaAgent
import FlotillaStore
import Glibc

/// A TCP port held until a server of the node listens on it: a socket bound with
/// `SO_REUSEADDR` to `host:port` that never listens. While it is open no other `bind(…:0)`
/// gets the port, and the server's listener (also `SO_REUSEADDR`) can still bind it, which a
/// bind-and-close probe could not promise. So the node knows its addresses before it runs,
/// and a port another program listens on is reported before anything starts (the bind fails).
final class PortReservation: Sendable {
    /// The port held (the kernel's pick when 0 was asked for).
    let port: Int
    private let descriptor: Int32

    /// Reserves `port` on `host` (an IPv4 address; `localhost` is 127.0.0.1); 0 picks a free one.
    init(host: String, port requested: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AgentError("cannot reserve a port on \(host): socket() failed (errno \(errno))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(clamping: requested).bigEndian
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
            let reason = errno == EADDRINUSE ? "the address is in use" : "bind failed (errno \(errno))"
            throw AgentError("cannot reserve \(HostPort.format(host: host, port: requested)): \(reason)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptor = fd
    }

    deinit { close(descriptor) }
}
