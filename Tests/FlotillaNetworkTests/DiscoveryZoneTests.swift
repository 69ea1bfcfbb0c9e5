import FlotillaModel
@testable import FlotillaNetwork
import Testing

/// The `flotilla.` zone's answers and the DNS messages that carry them, byte for byte.
struct DiscoveryZoneTests {
    let zone = DiscoveryZone(endpoints: [
        "/flotilla/endpoints/web/web@1": ServiceEndpoint(stack: "web", instance: "web@1", machine: "m1", address: "10.5.1.2"),
        "/flotilla/endpoints/web/web@2": ServiceEndpoint(stack: "web", instance: "web@2", machine: "m2", address: "10.5.2.3"),
        "/flotilla/endpoints/db/db@1": ServiceEndpoint(stack: "db", instance: "db@1", machine: "m2", address: "10.5.2.4",
                                                       ports: [NamedPort(name: "pg", port: 5432)]),
        "/flotilla/endpoints/db/db@2": ServiceEndpoint(stack: "db", instance: "db@2", machine: "m1", address: "10.5.1.3",
                                                       ports: [NamedPort(name: "pg", port: 5433), NamedPort(name: "stats", port: 9000, transport: .udp)]),
    ])

    /// A query as a stub resolver sends it: ID, RD, one question, an EDNS record after it.
    func query(_ name: String, type: UInt16 = 1, id: UInt16 = 0xBEEF) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
        for label in name.split(separator: ".") { bytes.append(UInt8(label.utf8.count)); bytes += Array(label.utf8) }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        bytes += [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]   // OPT, 1232-byte UDP payload
        return bytes
    }

    func reply(_ bytes: [UInt8]) throws -> [UInt8] {
        guard case .reply(let answer) = zone.handle(bytes) else { Issue.record("no reply"); return [] }
        return answer
    }

    @Test("a stack's name has an A record per running instance, sorted; an instance's name has its own")
    func names() throws {
        let stack = try reply(query("web.flotilla."))
        #expect(Array(stack[0..<12]) == [0xBE, 0xEF, 0x85, 0x80, 0, 1, 0, 2, 0, 0, 0, 0], "QR AA RD RA, NOERROR, 1 question, 2 answers")
        let question = query("web.flotilla.")[12..<(12 + 14 + 4)]
        #expect(Array(stack[12..<(12 + question.count)]) == Array(question))
        let first = 12 + question.count
        #expect(Array(stack[first...]) == [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 5, 1, 2,
                                           0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 5, 2, 3])
        let one = try reply(query("2.WEB.flotilla"))
        #expect(Array(one[6..<8]) == [0, 1])
        #expect(Array(one.suffix(4)) == [10, 5, 2, 3])
    }

    @Test("unknown names of the zone are NXDOMAIN; AAAA and SRV of a known name have no records")
    func negatives() throws {
        #expect(try reply(query("cache.flotilla."))[3] & 0x0F == 3)
        #expect(try reply(query("9.web.flotilla."))[3] & 0x0F == 3)
        #expect(try reply(query("flotilla."))[3] & 0x0F == 3)
        let aaaa = try reply(query("web.flotilla.", type: 28))
        #expect(aaaa[3] & 0x0F == 0 && aaaa[7] == 0)
        let srv = try reply(query("db.flotilla.", type: 33))
        #expect(srv[3] & 0x0F == 0 && srv[7] == 0)
        #expect(try reply(query("_http._tcp.db.flotilla.", type: 33))[3] & 0x0F == 3, "no instance has the port")
        #expect(try reply(query("_stats._tcp.db.flotilla.", type: 33))[3] & 0x0F == 3, "the port is UDP")
        let aOfService = try reply(query("_pg._tcp.db.flotilla."))
        #expect(aOfService[3] & 0x0F == 0 && aOfService[7] == 0, "a service name has SRV records only")
    }

    @Test("a named port has an SRV record per instance, pointing at the instance's name")
    func services() throws {
        let question = query("_pg._tcp.db.flotilla.", type: 33)
        let answer = try reply(question)
        #expect(Array(answer[6..<8]) == [0, 2])
        let first = 12 + (question.count - 12 - 11)   // past the header and question (the query's OPT record is not echoed)
        let target1: [UInt8] = [1, 0x31, 2, 0x64, 0x62, 8] + Array("flotilla".utf8) + [0]   // 1.db.flotilla.
        let record1: [UInt8] = [0xC0, 0x0C, 0, 33, 0, 1, 0, 0, 0, 1, 0, UInt8(6 + target1.count), 0, 0, 0, 10, 0x15, 0x38] + target1
        #expect(Array(answer[first..<(first + record1.count)]) == record1, "priority 0, weight 10, port 5432, 1.db.flotilla.")
        #expect(Array(answer.suffix(2 + target1.count)) == [0x15, 0x39] + [1, 0x32] + Array(target1.dropFirst(2)), "port 5433, 2.db.flotilla.")
        let one = try reply(query("_stats._udp.2.db.flotilla.", type: 33))
        #expect(Array(one[6..<8]) == [0, 1])
        #expect(DiscoveryZone.target(of: ServiceEndpoint(stack: "Web", instance: "Web@3", machine: "m", address: "10.0.0.1")) == "3.web.flotilla.")
    }

    @Test("other names are forwarded; answers and junk are dropped; other opcodes are NOTIMP")
    func elsewhere() {
        guard case .forward(let message) = zone.handle(query("example.org.")) else { Issue.record("not forwarded"); return }
        #expect(message.question?.name == "example.org.")
        var answer = query("web.flotilla.")
        answer[2] |= 0x80
        #expect(zone.handle(answer) == .drop)
        #expect(zone.handle([1, 2, 3]) == .drop)
        var status = query("web.flotilla.")
        status[2] = 0x10   // opcode 2 (STATUS)
        guard case .reply(let bytes) = zone.handle(status) else { Issue.record("no reply"); return }
        #expect(bytes[3] & 0x0F == 4)
    }

    @Test("nameservers are read from resolv.conf")
    func resolvers() {
        #expect(DiscoveryDNS<ContinuousClock>.resolvers(in: "# x\nnameserver 10.0.0.2\nsearch lan\nnameserver  fd00::1\n") == ["10.0.0.2", "fd00::1"])
    }
}
