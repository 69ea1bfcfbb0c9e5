import Foundation
import NIOCore
import NIOHPACK
import SwiftProtobuf

/// Hand-made HTTP/2 frames (RFC 9113) for gRPC calls, with HPACK literal header fields only
/// (no Huffman, no table), so a test can send a well-formed request and then misbehave.
enum RawFrames {
    /// A received frame.
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
    }

    /// The client connection preface.
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// One frame: 24-bit length, type, flags, 31-bit stream ID, payload.
    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + withUnsafeBytes(of: (stream & 0x7fff_ffff).bigEndian, Array.init) + payload
    }

    /// Preface plus an empty SETTINGS frame: what a client sends first.
    static var opening: [UInt8] { preface + frame(type: 4, flags: 0, stream: 0) }

    /// A HEADERS frame (END_HEADERS) opening a gRPC call to `path` on `stream` (odd).
    static func call(_ path: String, stream: UInt32, port: Int) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in [(":method", "POST"), (":scheme", "http"), (":path", path),
                              (":authority", "127.0.0.1:\(port)"), ("content-type", "application/grpc"),
                              ("te", "trailers")] {
            block.append(0x00)   // literal header field without indexing, new name
            block += string(name)
            block += string(value)
        }
        return frame(type: 1, flags: 0x4, stream: stream, payload: block)
    }

    /// DATA frames (at most 16 KiB each, the default max frame size) carrying one
    /// length-prefixed gRPC message.
    static func message(_ message: some SwiftProtobuf.Message, stream: UInt32, endStream: Bool = false) throws -> [UInt8] {
        let body: [UInt8] = try message.serializedBytes()
        let data = grpcPrefix(body.count) + body
        var frames: [UInt8] = []
        for start in stride(from: 0, to: data.count, by: 16_384) {
            let last = start + 16_384 >= data.count
            frames += frame(type: 0, flags: last && endStream ? 0x1 : 0, stream: stream,
                            payload: Array(data[start..<min(start + 16_384, data.count)]))
        }
        return frames
    }

    /// The 5-byte gRPC message prefix (uncompressed, big-endian length).
    static func grpcPrefix(_ length: Int) -> [UInt8] {
        [0] + withUnsafeBytes(of: UInt32(truncatingIfNeeded: length).bigEndian, Array.init)
    }

    /// Splits the first complete frame off `bytes`; nil when incomplete.
    static func parse(_ bytes: [UInt8]) -> (Frame, Int)? {
        guard bytes.count >= 9 else { return nil }
        let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        guard bytes.count >= 9 + length else { return nil }
        let stream = (UInt32(bytes[5]) << 24 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 8 | UInt32(bytes[8])) & 0x7fff_ffff
        return (Frame(type: bytes[3], flags: bytes[4], stream: stream, payload: Array(bytes[9..<9 + length])), 9 + length)
    }

    /// An HPACK string literal (H = 0) with a 7-bit-prefix length.
    private static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var encoded: [UInt8] = []
        if bytes.count < 127 {
            encoded.append(UInt8(bytes.count))
        } else {
            encoded.append(127)
            var rest = bytes.count - 127
            while rest >= 128 { encoded.append(UInt8(rest & 0x7f | 0x80)); rest >>= 7 }
            encoded.append(UInt8(rest))
        }
        return encoded + bytes
    }
}

extension RawFrames.Frame {
    /// The header list of a HEADERS frame (padding and priority skipped), decoded with the
    /// connection's `decoder` (every HEADERS frame must pass through it, in order, to keep
    /// its table right); nil when it is not HPACK.
    func decodeHeaders(_ decoder: inout HPACKDecoder) -> HPACKHeaders? {
        var block = payload[...]
        if flags & 0x8 != 0, let pad = block.first { block = block.dropFirst().dropLast(Int(pad)) }
        if flags & 0x20 != 0 { block = block.dropFirst(5) }
        var buffer = ByteBuffer(bytes: block)
        return try? decoder.decodeHeaders(from: &buffer)
    }
}

extension RawConnection {
    /// Reads frames until call `stream` ends: its trailers (a HEADERS frame with END_STREAM),
    /// or nil for a RST_STREAM, a closed connection or `timeout`. `data` sees each DATA frame.
    func trailers(of stream: UInt32, decoder: inout HPACKDecoder, timeout: Duration,
                  data: (RawFrames.Frame) -> Void = { _ in }) -> HPACKHeaders? {
        var trailers: HPACKHeaders?
        _ = readFrames(timeout: timeout) { frame in
            if frame.type == 0 && frame.stream == stream { data(frame) }
            if frame.type == 1 {
                let decoded = frame.decodeHeaders(&decoder)
                if frame.stream == stream && frame.flags & 1 != 0 { trailers = decoded; return true }
            }
            return frame.type == 3 && frame.stream == stream
        }
        return trailers
    }
}
