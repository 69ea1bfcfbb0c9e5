import Testing
@testable import FlotillaSecurity

/// Zincati's id for a machine, checked against what `systemd-id128 machine-id -a
/// de35106b6ec24688b63afddaa156679b` printed for machine ID 3d1219c7c4c5404aaa1f6d2a48adfda4.
struct FleetLockIdentityTests {
    @Test("the app-specific ID is systemd's, with or without dashes")
    func matchesSystemd() {
        #expect(FleetLockIdentity.appSpecificID(machineID: "3d1219c7c4c5404aaa1f6d2a48adfda4") == "975228d46dc94622b9bbe16671e2b58d")
        #expect(FleetLockIdentity.appSpecificID(machineID: "3D1219C7-C4C5-404A-AA1F-6D2A48ADFDA4") == "975228d46dc94622b9bbe16671e2b58d")
        #expect(FleetLockIdentity.normalized("975228d4-6dc9-4622-b9bb-e16671e2b58d") == "975228d46dc94622b9bbe16671e2b58d")
        #expect(FleetLockIdentity.appSpecificID(machineID: "not-an-id") == nil)
        #expect(FleetLockIdentity.normalized("abc") == nil)
    }
}
