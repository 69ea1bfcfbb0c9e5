import ArgumentParser
import FlotillaAPI
import FlotillaModel
import Foundation

/// `flotilla token create|list|revoke`: the API's bearer tokens.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make, list and revoke API tokens (admin, viewer, join).",
        discussion: """
            admin may do everything; viewer may read status, machines, events, history and \
            plans but not logs; join may only join a new machine (flotilla agent --join URL \
            --join-token TOKEN). The store keeps only each token's SHA-256, so a token is shown \
            once, when it is made. See docs/security.md.
            """,
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Make a token and print it (only now).")

    @Option(name: .long, help: "admin, viewer or join.")
    var role: String

    @Option(name: .long, help: "Name (lowercase letters, digits, '-'; default ROLE-XXXXXXXX).")
    var name: String?

    @Option(name: .long, help: "Lifetime: 90s, 30m, 24h (default: no expiry; join tokens 24h).")
    var ttl: Seconds?

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        guard let parsed = Role(rawValue: role), Role.tokenRoles.contains(parsed) else {
            throw ValidationError("--role must be admin, viewer or join, got '\(role)'")
        }
        let ttl = self.ttl?.value ?? (parsed == .join ? 24 * 3600 : nil)
        let created = try await calling { try await api.client().createToken(TokenCreateRequest(name: name, role: parsed, ttl: ttl)) }
        say(created.token)
        printError("token \(created.name) (\(created.role.rawValue)) made"
                   + (created.expires.map { ", expires \(EventsCommand.time($0))" } ?? ", no expiry")
                   + "; it is shown only now")
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (names, roles, expiry; never secrets).")

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let list = try await calling { try await api.client().tokens() }
        if output != .table { return try output.print(list) }
        let rows = list.tokens.map { token in
            [token.name, token.role.rawValue, EventsCommand.time(token.created),
             token.expires.map { EventsCommand.time($0) } ?? "never", token.createdBy]
        }
        print(rows.isEmpty ? "no tokens" : Table(header: ["NAME", "ROLE", "CREATED", "EXPIRES", "CREATED-BY"], rows: rows).render())
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: the next request with it gets 401.")

    @Argument(help: "The token's name (flotilla token list).")
    var name: String

    @OptionGroup var api: EndpointOptions

    func run() async throws {
        let revoked = try await calling { try await api.client().revokeToken(name) }
        say("revoked token \(revoked.revoked)")
    }
}
