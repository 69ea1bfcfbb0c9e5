import Testing
@testable import FlotillaModel

@Suite("UnitFile [X-Fleet]")
struct UnitFileFleetTests {
    typealias T = UnitFileTest

    static func fleet(_ lines: String, name: String = "web.service") throws -> FleetUnit {
        try T.unit(T.service("[X-Fleet]\n" + lines), name: name)
    }

    @Test func machineIDFirstValueOnlyAndShortForm() throws {
        let unit = try Self.fleet("MachineID=2c9f8e71\nMachineID=ffffffffffffffffffffffffffffffff\n")
        #expect(unit.placement.machineID == "2c9f8e71")
        #expect(T.warnings(T.service("[X-Fleet]\nMachineID=2c9f8e71\nMachineID=ff\n")) == ["5:11: only the first MachineID= value counts; 'ff' is ignored"])
        let full = "2c9f8e71a3b04d55b8e5f2a0c1d2e3f4"
        #expect(try Self.fleet("MachineID=\(full)").placement.machineID == full)
        #expect(try Self.fleet("MachineID=%i", name: "pin@2c9f8e71.service").placement.machineID == "2c9f8e71")
        let machine = Machine(id: full, capacity: .zero)
        #expect(machine.matches(machineID: "2c9f8e71"))
    }

    @Test func machineOfIsExactNamesAndAnded() throws {
        let unit = try Self.fleet("MachineOf=db.service\nMachineOf=\"cache@1.service\" \"api@%i.service\"\n", name: "web@3.service")
        #expect(unit.placement.machineOf == ["db.service", "cache@1.service", "api@3.service"])
        T.expectError(T.service("[X-Fleet]\nMachineOf=db@*.service\n"), at: 4, 11, "MachineOf= takes exact unit names (no globs)")
    }

    @Test func machineMetadataOrWithinKeyAndAcrossKeys() throws {
        let unit = try Self.fleet("""
        MachineMetadata="region=east" "job=foo"
        MachineMetadata="region=west" "job=bar"
        MachineMetadata=disk=ssd
        MachineMetadata=disk=ssd
        """)
        #expect(unit.placement.metadata == ["region": ["east", "west"], "job": ["foo", "bar"], "disk": ["ssd"]])
        #expect(unit.placement.metadataMatches(Metadata(["region": ["west"], "job": ["foo"], "disk": ["ssd"]])))
        #expect(!unit.placement.metadataMatches(Metadata(["region": ["west"], "job": ["foo"]])))
        #expect(!unit.placement.metadataMatches(Metadata(["region": ["north"], "job": ["foo"], "disk": ["ssd"]])))
    }

    @Test func machineMetadataUnquotedIsOneValue() throws {
        #expect(try Self.fleet("MachineMetadata=role=web \"x\"\n").placement.metadata == ["role": ["web \"x\""]])
        #expect(try Self.fleet("MachineMetadata=hostname=%i\n", name: "metadata@node7.service").placement.metadata == ["hostname": ["node7"]])
    }

    @Test func machineMetadataMustBeKeyEqualsValue() {
        T.expectError(T.service("[X-Fleet]\nMachineMetadata=region\n"), at: 4, 17, "invalid MachineMetadata= value 'region'; expected key=value")
        T.expectError(T.service("[X-Fleet]\nMachineMetadata=\"a=b\" \"=c\"\n"), at: 4, 24, "invalid MachineMetadata= value '=c'")
        T.expectError(T.service("[X-Fleet]\nMachineMetadata=a=b=c\n"), at: 4, 17, "'a=b=c'")
    }

    @Test func conflictsAreWhitespaceSplitGlobs() throws {
        let unit = try Self.fleet("Conflicts=web@*.service  db?.service\nConflicts=\"cache[0-9].service\" \"lit\\*.service\"\n")
        #expect(unit.placement.conflicts.map(\.pattern) == ["web@*.service", "db?.service", "cache[0-9].service", "lit\\*.service"])
        let globs = unit.placement.conflicts
        #expect(globs[0].matches("web@12.service"))
        #expect(!globs[0].matches("web@a/b.service"))
        #expect(globs[1].matches("db1.service") && !globs[1].matches("db12.service"))
        #expect(globs[2].matches("cache7.service") && !globs[2].matches("cachex.service"))
        #expect(globs[3].matches("lit*.service") && !globs[3].matches("litx.service"))
        #expect(Glob("[^a-c]x").matches("dx") && !Glob("[^a-c]x").matches("bx"))
    }

    @Test func malformedGlobIsAnError() {
        T.expectError(T.service("[X-Fleet]\nConflicts=ok.service web[.service\n"), at: 4, 22, "invalid glob 'web[.service' in Conflicts=")
    }

    @Test func globalTruthyValuesAndLastWins() throws {
        for value in ["true", "TRUE", "yes", "1", "on", "t", "T"] {
            #expect(try Self.fleet("Global=\(value)\n").global, "\(value)")
        }
        for value in ["false", "No", "0", "off", "f"] {
            #expect(try !Self.fleet("Global=\(value)\n").global, "\(value)")
        }
        #expect(try !Self.fleet("Global=true\nGlobal=false\n").global)
        #expect(try Self.fleet("Global=false\nGlobal=yes\n").global)
        T.expectError(T.service("[X-Fleet]\nGlobal=maybe\n"), at: 4, 8, "invalid Global= value 'maybe'")
    }

    @Test func replacesAreGlobs() throws {
        let unit = try Self.fleet("Replaces=old-web@*.service legacy.service\n")
        #expect(unit.placement.replaces.map(\.pattern) == ["old-web@*.service", "legacy.service"])
        #expect(unit.placement.replaces[0].matches("old-web@3.service"))
    }

    @Test func deprecatedAliases() throws {
        let text = T.service("""
        [X-Fleet]
        X-ConditionMachineMetadata=disk=ssd
        X-ConditionMachineOf=db.service
        X-Conflicts=web@*.service
        """)
        let unit = try T.unit(text, name: "web@1.service")
        #expect(unit.placement.metadata == ["disk": ["ssd"]])
        #expect(unit.placement.machineOf == ["db.service"])
        #expect(unit.placement.conflicts.map(\.pattern) == ["web@*.service"])
        #expect(T.warnings(text, name: "web@1.service") == [
            "4:1: X-ConditionMachineMetadata= is deprecated; use MachineMetadata=",
            "5:1: X-ConditionMachineOf= is deprecated; use MachineOf=",
            "6:1: X-Conflicts= is deprecated; use Conflicts=",
        ])
        #expect(try Self.fleet("X-ConditionMachineID=abcd1234\n").placement.machineID == "abcd1234")
        #expect(try Self.fleet("X-ConditionMachineBootID=abcd1234\n").placement.machineID == "abcd1234")
        #expect(T.warnings(T.service("[X-Fleet]\nX-ConditionMachineBootID=abcd1234\n")) == ["4:1: X-ConditionMachineBootID= is deprecated; use MachineID="])
    }

    @Test func unknownFleetKeyHasAHint() {
        T.expectError(T.service("[X-Fleet]\nMachineMetdata=disk=ssd\n"), at: 4, 1, "unknown key 'MachineMetdata' in [X-Fleet]; did you mean 'MachineMetadata'?")
    }

    @Test func machineSpecifiersAreErrorsInFleetButKeptInService() throws {
        T.expectError(T.service("[X-Fleet]\nMachineMetadata=host=%H\n"), at: 4, 22, "specifier '%H' is only known on the machine")
        let unit = try T.unit("[Service]\nExecStart=/bin/echo %m %H %b 100%% %n\n").unit
        #expect(unit.execStart.first?.arguments == ["/bin/echo", "%m", "%H", "%b", "100%%", "web.service"])
        #expect(Specifiers.resolveMachine("%m-%H-%b-100%%", machineID: "M", hostname: "h", bootID: "B") == "M-h-B-100%")
    }

    @Test func unknownSpecifierAtItsColumn() {
        T.expectError("[Service]\nExecStart=/bin/echo %q\n", at: 2, 21, "unknown specifier '%q'")
        T.expectError("[Unit]\nDescription=50%\n" + T.service(""), at: 2, 15, "lone '%'")
    }

    @Test func specifiersResolvePerUnitName() throws {
        let text = "[Unit]\nDescription=%n|%N|%p|%i|%%\n" + T.service("[X-Fleet]\nConflicts=%p@*.service\n")
        let unit = try T.unit(text, name: "cache@a-1.service")
        #expect(unit.unit.description == "cache@a-1.service|cache@a-1|cache|a-1|%%")
        #expect(unit.placement.conflicts.map(\.pattern) == ["cache@*.service"])
        let plain = try T.unit(text, name: "memcached.1.service")
        #expect(plain.unit.description == "memcached.1.service|memcached.1|memcached.1||%%")
    }

    @Test func specifiersKeptVerbatimWhenNotResolving() throws {
        let text = "[Service]\nExecStart=/bin/run --name=%p-%i\n[X-Fleet]\nMachineOf=db@%i.service\nMachineMetadata=host=%i\n"
        let unit = try T.unit(text, name: "web@.service", resolving: false)
        #expect(unit.unit.execStart.first?.arguments == ["/bin/run", "--name=%p-%i"])
        #expect(unit.placement.machineOf == ["db@%i.service"])
        #expect(unit.placement.metadata == ["host": ["%i"]])
        let web3 = try #require(UnitName("web@3.service"))
        #expect(Specifiers.resolve("--name=%p-%i", name: web3, keepingMachine: true) == "--name=web-3")
        T.expectError("[Service]\nExecStart=/bin/run %y\n", at: 2, 20, "unknown specifier")
    }

    // MARK: fleet's refused combinations

    static func combination(_ lines: String) -> [String] {
        T.errors(T.service("[X-Fleet]\n" + lines), name: "web@1.service")
    }

    @Test func machineIDWithMachineOf() {
        #expect(Self.combination("MachineID=abcd1234\nMachineOf=db.service\n") == ["5:1: MachineOf= cannot be combined with MachineID= (line 4); fleet rejects this combination"])
    }

    @Test func machineIDWithConflicts() {
        #expect(Self.combination("Conflicts=x.service\nMachineID=abcd1234\n") == ["5:1: MachineID= cannot be combined with Conflicts= (line 4); fleet rejects this combination"])
    }

    @Test func machineIDWithGlobal() {
        #expect(Self.combination("MachineID=abcd1234\nGlobal=true\n") == ["5:1: Global= cannot be combined with MachineID= (line 4); fleet rejects this combination"])
        #expect(T.parse(T.service("[X-Fleet]\nMachineID=abcd1234\nGlobal=false\n")).0 != nil)
    }

    @Test func machineIDWithReplaces() {
        #expect(Self.combination("MachineID=abcd1234\nReplaces=x.service\n") == ["5:1: Replaces= cannot be combined with MachineID= (line 4); fleet rejects this combination"])
    }

    @Test func globalWithMachineOf() {
        #expect(Self.combination("Global=yes\nX-ConditionMachineOf=db.service\n") == ["5:1: MachineOf= cannot be combined with Global= (line 4); fleet rejects this combination"])
    }

    @Test func globalWithReplaces() {
        #expect(Self.combination("Replaces=x.service\nGlobal=1\n") == ["5:1: Global= cannot be combined with Replaces= (line 4); fleet rejects this combination"])
    }

    @Test func conflictsWithReplaces() {
        #expect(Self.combination("Conflicts=x.service\nReplaces=y.service\n") == ["5:1: Replaces= cannot be combined with Conflicts= (line 4); fleet rejects this combination"])
    }

    @Test func globalWithMetadataAndConflictsIsAllowed() throws {
        let unit = try Self.fleet("Global=true\nMachineMetadata=a=b\nConflicts=x.service\n")
        #expect(unit.global && unit.placement.conflicts.count == 1)
    }

    @Test func peerMatchingOwnConflictsIsUnresolvable() {
        #expect(Self.combination("MachineOf=db@1.service\nConflicts=db@*.service\n") == ["5:11: unresolvable requirements: MachineOf= peer 'db@1.service' matches Conflicts= glob 'db@*.service'"])
    }

    @Test func peerMatchingOwnReplacesIsUnresolvable() {
        let found = Self.combination("Replaces=%p-db.service\nMachineOf=web-db.service\n")
        #expect(found == ["5:11: unresolvable requirements: MachineOf= peer 'web-db.service' matches Replaces= glob 'web-db.service'"])
    }
}
