import Foundation

/// A plain TCP connection to 127.0.0.1 driven byte by byte: for sending garbage, or
/// hand-made HTTP/2 frames (``RawFrames``), and for vanishing abruptly with a reset.
final class RawConnection {
    private var fd: Int32
    /// Received bytes not yet parsed into frames (kept between ``readFrames(timeout:until:)`` calls).
    private var pending: [UInt8] = []

    /// Connects to `127.0.0.1:port`.
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            let code = errno
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Sends every byte (a peer that already closed makes this fail quietly: returns false).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Reads what arrives within `timeout`; nil once the peer closed (or reset) and nothing is left.
    func receive(timeout: Duration) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, millis) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[..<count]) : nil
    }

    /// Reads until the peer closes or `timeout` passes; returns whether the peer closed, and
    /// the byte count read.
    func drain(timeout: Duration) -> (closed: Bool, bytes: Int) {
        let deadline = ContinuousClock.now + timeout
        var total = 0
        while ContinuousClock.now < deadline {
            guard let chunk = receive(timeout: .milliseconds(100)) else { return (true, total) }
            total += chunk.count
        }
        return (false, total)
    }

    /// Reads HTTP/2 frames until `stop` says so, the peer closes, or `timeout` passes. Returns
    /// whether `stop` was satisfied.
    func readFrames(timeout: Duration, until stop: (RawFrames.Frame) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            while let (frame, used) = RawFrames.parse(pending) {
                pending.removeFirst(used)
                if frame.type == 4 && frame.flags & 1 == 0 { send(RawFrames.frame(type: 4, flags: 1, stream: 0)) }
                if stop(frame) { return true }
            }
            guard let chunk = receive(timeout: .milliseconds(100)) else { return false }
            pending += chunk
        }
        return false
    }

    /// Closes with SO_LINGER 0: the kernel sends RST, the peer sees the connection reset.
    func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Closes normally (FIN).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
