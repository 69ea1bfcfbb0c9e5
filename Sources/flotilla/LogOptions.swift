import ArgumentParser
import FlotillaNode
import Logging
import Metrics
import Prometheus

/// `--log-level` and `--log-format`, for the long-running commands (agent, dev, store serve).
struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log-level"),
            help: "Least severe messages logged: trace, debug, info, notice, warning, error, critical.")
    var level: Logger.Level = .info

    @Option(name: .customLong("log-format"), help: "Log line format: text or json (one object per line).")
    var format: LogFormat = .text

    /// Sends this process's logs to standard error in the chosen format and level, and its
    /// metrics to a Prometheus registry (returned, for `GET /metrics`). Call once, first thing.
    func bootstrap() -> PrometheusCollectorRegistry {
        LogLineHandler.bootstrap(format: format, level: level)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Libraries name metrics the OpenTelemetry way (`http.server.request.duration`);
        // Prometheus names and label names allow only [a-zA-Z0-9_:].
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.prometheusName(name), labels.map { (Self.prometheusName($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }
}

extension LogOptions {
    /// `name` with every character Prometheus does not allow in a name replaced by `_`.
    static func prometheusName(_ name: String) -> String {
        String(name.unicodeScalars.map { scalar in
            (scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || scalar == "_" || scalar == ":") ? Character(scalar) : "_"
        })
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
