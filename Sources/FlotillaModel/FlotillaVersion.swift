/// The one version of this Flotilla build: `flotilla --version`, machine records (so
/// `machines` shows which agents run which version during an upgrade), the API's health.
public enum FlotillaVersion {
    /// Semantic version of the release.
    public static let current = "0.1.0"
}
