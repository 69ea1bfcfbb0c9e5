import FlotillaModel

/// The `flotilla.` zone as the endpoints say it is now: `<stack>.flotilla.` has an A record per
/// running instance of the stack on the overlay, `<n>.<stack>.flotilla.` the one of instance
/// `<stack>@<n>`. Pure: the server feeds it the endpoints it follows and asks it questions.
package struct DiscoveryZone: Sendable, Hashable {
    /// The zone's name.
    package static let domain = "flotilla."
    /// Seconds resolvers may keep an answer: short, so a moved instance's new address is used
    /// at once.
    package static let ttl: UInt32 = 1

    /// Running instances' endpoints, by store key.
    package var endpoints: [String: ServiceEndpoint] = [:]

    package init(endpoints: [String: ServiceEndpoint] = [:]) {
        self.endpoints = endpoints
    }

    /// The answer to `question`, or nil when the name is outside the zone (the server forwards
    /// it). A name of the zone that no running instance has is NXDOMAIN; a type other than A
    /// (AAAA: the overlay is IPv4 only; SRV: named ports do not exist yet) gets no records.
    package func answer(_ question: DNSMessage.Question) -> (code: DNSMessage.ResponseCode, answers: [DNSMessage.Answer])? {
        let name = question.name.lowercased()
        guard name == Self.domain || name.hasSuffix("." + Self.domain) else { return nil }
        let inside = name == Self.domain ? "" : name.dropLast(Self.domain.count + 1)
        let labels = inside.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let matching: [ServiceEndpoint]
        switch labels.count {
        case 1 where !labels[0].isEmpty:
            matching = endpoints.values.filter { $0.stack.lowercased() == labels[0] }
        case 2:
            let instance = "\(labels[1])@\(labels[0])"
            matching = endpoints.values.filter { $0.instance.lowercased() == instance }
        default:
            matching = []
        }
        guard !matching.isEmpty else { return (.nameError, []) }
        guard question.type == DNSMessage.RecordType.a.rawValue || question.type == DNSMessage.RecordType.any.rawValue else {
            return (.noError, [])
        }
        let addresses = Set(matching.compactMap { IPv4Address($0.address) }).sorted()
        return (.noError, addresses.map { DNSMessage.Answer(name: question.name, ttl: Self.ttl, data: .a($0)) })
    }

    /// What to do with a query's bytes.
    package enum Handling: Sendable, Hashable {
        /// Send these bytes back.
        case reply([UInt8])
        /// A name outside the zone: ask the host's resolvers.
        case forward(DNSMessage)
        /// Not a query: say nothing.
        case drop
    }

    /// Answers a name of the zone, refuses what is malformed or unsupported, and leaves the
    /// rest to be forwarded.
    package func handle(_ bytes: [UInt8]) -> Handling {
        guard let (query, count) = DNSMessage.parse(bytes), query.isQuery else { return .drop }
        guard query.opcode == 0 else { return .reply(DNSMessage.response(to: query, code: .notImplemented, authoritative: false, answers: [])) }
        guard count == 1, let question = query.question else {
            return .reply(DNSMessage.response(to: query, code: .formatError, authoritative: false, answers: []))
        }
        guard let (code, answers) = answer(question) else { return .forward(query) }
        return .reply(DNSMessage.response(to: query, code: code, authoritative: true, answers: answers))
    }
}
