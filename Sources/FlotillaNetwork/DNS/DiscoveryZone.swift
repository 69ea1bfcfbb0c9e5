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
    /// it). A name of the zone that no running instance has is NXDOMAIN; a type the name has no
    /// records of gets none (AAAA: the overlay is IPv4 only).
    ///
    /// `_<port>._<tcp|udp>.<stack>.flotilla.` (and `….<n>.<stack>.flotilla.`) has an SRV record
    /// per running instance with that named port, pointing at `<n>.<stack>.flotilla.`.
    package func answer(_ question: DNSMessage.Question) -> (code: DNSMessage.ResponseCode, answers: [DNSMessage.Answer])? {
        let name = question.name.lowercased()
        guard name == Self.domain || name.hasSuffix("." + Self.domain) else { return nil }
        let inside = name == Self.domain ? "" : name.dropLast(Self.domain.count + 1)
        var labels = inside.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var service: (name: String, transport: String)?
        if labels.count >= 3, labels[0].hasPrefix("_"), ["_tcp", "_udp"].contains(labels[1]) {
            service = (String(labels[0].dropFirst()), String(labels[1].dropFirst()))
            labels.removeFirst(2)
        }
        var matching = instances(labels)
        if let service {
            matching = matching.filter { $0.ports?.contains { $0.name == service.name && $0.transport.rawValue == service.transport } ?? false }
        }
        guard !matching.isEmpty else { return (.nameError, []) }
        let wanted = question.type == DNSMessage.RecordType.any.rawValue ? nil : question.type
        if let service {
            guard wanted == nil || wanted == DNSMessage.RecordType.srv.rawValue else { return (.noError, []) }
            let records = matching.sorted { $0.instance < $1.instance }.compactMap { endpoint -> DNSMessage.Answer? in
                guard let port = endpoint.ports?.first(where: { $0.name == service.name && $0.transport.rawValue == service.transport }) else { return nil }
                return DNSMessage.Answer(name: question.name, ttl: Self.ttl,
                                         data: .srv(priority: 0, weight: 10, port: UInt16(port.port), target: Self.target(of: endpoint)))
            }
            return (.noError, records)
        }
        guard wanted == nil || wanted == DNSMessage.RecordType.a.rawValue else { return (.noError, []) }
        let addresses = Set(matching.compactMap { IPv4Address($0.address) }).sorted()
        return (.noError, addresses.map { DNSMessage.Answer(name: question.name, ttl: Self.ttl, data: .a($0)) })
    }

    /// The running instances a name's labels (below `flotilla.`) stand for: `<stack>` or `<n>.<stack>`.
    private func instances(_ labels: [String]) -> [ServiceEndpoint] {
        switch labels.count {
        case 1 where !labels[0].isEmpty:
            return endpoints.values.filter { $0.stack.lowercased() == labels[0] }
        case 2:
            let instance = "\(labels[1])@\(labels[0])"
            return endpoints.values.filter { $0.instance.lowercased() == instance }
        default:
            return []
        }
    }

    /// The name of one instance: `<n>.<stack>.flotilla.` for `<stack>@<n>`.
    static func target(of endpoint: ServiceEndpoint) -> String {
        guard let at = endpoint.instance.lastIndex(of: "@") else { return endpoint.stack.lowercased() + "." + domain }
        return (endpoint.instance[endpoint.instance.index(after: at)...] + "." + endpoint.stack + "." + domain).lowercased()
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
