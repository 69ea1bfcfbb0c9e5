/// The parts of a DNS message (RFC 1035 §4) that discovery reads and writes: the header, one
/// question, and answers of type A and SRV. Queries with anything else in them are still
/// read (their other sections are skipped), so a resolver's EDNS record does no harm.
package struct DNSMessage: Sendable, Hashable {
    /// Record types discovery knows.
    package enum RecordType: UInt16, Sendable {
        case a = 1
        case aaaa = 28
        case srv = 33
        case any = 255
    }

    /// Response codes (RFC 1035 §4.1.1).
    package enum ResponseCode: UInt8, Sendable {
        case noError = 0
        case formatError = 1
        case serverFailure = 2
        case nameError = 3
        case notImplemented = 4
    }

    /// One question: a name (lowercased, with its final dot), its type and class.
    package struct Question: Sendable, Hashable {
        package var name: String
        package var type: UInt16
        package var qclass: UInt16
    }

    /// One answer record.
    package struct Answer: Sendable, Hashable {
        package var name: String
        package var ttl: UInt32
        package var data: RecordData
    }

    /// What an answer holds.
    package enum RecordData: Sendable, Hashable {
        case a(IPv4Address)
        case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    }

    package var id: UInt16
    /// The second header word: QR, opcode, AA, TC, RD, RA, Z, RCODE.
    package var flags: UInt16
    package var question: Question?

    package var isQuery: Bool { flags & 0x8000 == 0 }
    package var opcode: UInt8 { UInt8(flags >> 11 & 0xF) }
    package var recursionDesired: Bool { flags & 0x0100 != 0 }

    /// Reads a message's header and first question; nil when it is not a DNS message (too
    /// short, or a name that runs off the end). `questionCount` is the number the header gives.
    package static func parse(_ bytes: [UInt8]) -> (message: DNSMessage, questionCount: Int)? {
        guard bytes.count >= 12 else { return nil }
        let id = word(bytes, 0), flags = word(bytes, 2), count = Int(word(bytes, 4))
        var message = DNSMessage(id: id, flags: flags, question: nil)
        guard count >= 1 else { return (message, count) }
        var offset = 12
        guard let name = readName(bytes, &offset), offset + 4 <= bytes.count else { return nil }
        message.question = Question(name: name, type: word(bytes, offset), qclass: word(bytes, offset + 2))
        return (message, count)
    }

    /// The response to `query`: its ID, opcode, RD and question; QR, RA, and AA when
    /// `authoritative`; `code`; `answers` (names compressed against the question's).
    package static func response(to query: DNSMessage, code: ResponseCode, authoritative: Bool, answers: [Answer]) -> [UInt8] {
        var flags: UInt16 = 0x8000 | (query.flags & 0x7900) | 0x0080 | UInt16(code.rawValue)   // QR, opcode+RD kept, RA
        if authoritative { flags |= 0x0400 }
        var out: [UInt8] = []
        append(&out, query.id)
        append(&out, flags)
        append(&out, query.question == nil ? 0 : 1)
        append(&out, UInt16(answers.count))
        append(&out, 0)
        append(&out, 0)
        guard let question = query.question else { return out }
        writeName(&out, question.name)
        append(&out, question.type)
        append(&out, question.qclass)
        for answer in answers {
            if answer.name == question.name { append(&out, 0xC00C) } else { writeName(&out, answer.name) }
            switch answer.data {
            case .a(let address):
                append(&out, RecordType.a.rawValue)
                append(&out, 1)
                append32(&out, answer.ttl)
                append(&out, 4)
                out += address.bytes
            case .srv(let priority, let weight, let port, let target):
                append(&out, RecordType.srv.rawValue)
                append(&out, 1)
                append32(&out, answer.ttl)
                var data: [UInt8] = []
                append(&data, priority)
                append(&data, weight)
                append(&data, port)
                writeName(&data, target)
                append(&out, UInt16(data.count))
                out += data
            }
        }
        return out
    }

    // MARK: Wire helpers

    static func word(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }

    static func append(_ out: inout [UInt8], _ value: UInt16) { out += [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func append32(_ out: inout [UInt8], _ value: UInt32) {
        append(&out, UInt16(value >> 16))
        append(&out, UInt16(value & 0xFFFF))
    }

    /// A name at `offset` (following compression pointers, at most 16 of them), lowercased with
    /// its final dot; `offset` moves past the name as written in place.
    static func readName(_ bytes: [UInt8], _ offset: inout Int) -> String? {
        var labels: [String] = []
        var position = offset
        var jumped = false
        for _ in 0..<128 {
            guard position < bytes.count else { return nil }
            let length = Int(bytes[position])
            if length == 0 {
                if !jumped { offset = position + 1 }
                return labels.joined(separator: ".").lowercased() + "."
            }
            if length & 0xC0 == 0xC0 {
                guard position + 1 < bytes.count else { return nil }
                if !jumped { offset = position + 2 }
                jumped = true
                position = (length & 0x3F) << 8 | Int(bytes[position + 1])
                continue
            }
            guard length < 64, position + 1 + length <= bytes.count else { return nil }
            labels.append(String(decoding: bytes[(position + 1)..<(position + 1 + length)], as: UTF8.self))
            position += 1 + length
        }
        return nil
    }

    /// Writes `name` (dotted, the final dot optional) as labels.
    static func writeName(_ out: inout [UInt8], _ name: String) {
        for label in name.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out.append(0)
    }
}
