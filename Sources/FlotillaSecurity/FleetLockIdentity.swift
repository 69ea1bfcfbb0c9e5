import Crypto

/// Zincati's FleetLock `id` for a machine: its default `node_uuid`, the machine ID made
/// app-specific the way systemd's `sd_id128_get_machine_app_specific` does (what
/// `systemd-id128 machine-id -a <app>` prints): HMAC-SHA256 keyed by the 16 bytes of the
/// machine ID over the 16 bytes of Zincati's app ID, the first 16 bytes of it, with the
/// UUID version 4 and variant bits set. The FleetLock server maps an incoming `id` back to a
/// machine with it, so the machine that asks is the one that is drained.
public enum FleetLockIdentity {
    /// Zincati's application ID.
    public static let zincatiAppID = "de35106b6ec24688b63afddaa156679b"

    /// The app-specific ID of `machineID` (32 hex digits, dashes allowed) as 32 lowercase hex
    /// digits; nil when `machineID` is not 128 bits of hex.
    public static func appSpecificID(machineID: String, appID: String = zincatiAppID) -> String? {
        guard let key = bytes(machineID), let message = bytes(appID) else { return nil }
        var id = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)).prefix(16))
        id[6] = (id[6] & 0x0F) | 0x40
        id[8] = (id[8] & 0x3F) | 0x80
        return id.map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    /// The 16 bytes of a 128-bit ID written as hex (dashes ignored, any case); nil otherwise.
    static func bytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.lowercased().filter { $0 != "-" })
        guard digits.count == 32 else { return nil }
        var result: [UInt8] = []
        for index in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else { return nil }
            result.append(byte)
        }
        return result
    }

    /// The same ID as 32 lowercase hex digits (FleetLock clients may send it with dashes).
    public static func normalized(_ id: String) -> String? {
        bytes(id).map { $0.map { String($0, radix: 16).leftPadded(2) }.joined() }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
