import Testing
@testable import FlotillaModel

@Suite("UnitFile syntax")
struct UnitFileSyntaxTests {
    typealias T = UnitFileTest

    @Test func continuationJoinsWithASpaceAndSkipsComments() throws {
        let text = """
        [Service]
        ExecStart=/bin/echo one \\
        # a comment inside the continuation
        ; another one
          two \\
          three
        """
        let unit = try T.unit(text).unit
        #expect(unit.execStart == [ExecCommand(arguments: ["/bin/echo", "one", "two", "three"])])
    }

    @Test func continuationLocationsPointIntoLaterLines() {
        let text = "[Service]\nExecStart=/bin/echo a \\\n  %z\n"
        T.expectError(text, at: 3, 3, "unknown specifier '%z'")
    }

    @Test func commentsWithHashAndSemicolonAndIndentation() throws {
        let text = """
        # top comment
        ; semicolon comment
        [Unit]
          # indented comment
        Description=web ; not a comment inside a value
        [Service]
        \t; tab-indented comment
        ExecStart=/bin/true
        """
        let unit = try T.unit(text).unit
        #expect(unit.description == "web ; not a comment inside a value")
    }

    @Test func whitespaceAroundKeyAndValueIsTrimmed() throws {
        let unit = try T.unit("[Service]\n  ExecStart =   /bin/sleep 5   \n  User\t= core\n").unit
        #expect(unit.execStart == [ExecCommand(arguments: ["/bin/sleep", "5"])])
        #expect(unit.user == "core")
    }

    @Test func repeatedKeysAccumulate() throws {
        let unit = try T.unit(T.service("Environment=A=1\nEnvironment=B=2\nExecStop=/bin/a\nExecStop=/bin/b\n")).unit
        #expect(unit.environment == [EnvironmentVariable(name: "A", value: "1"), EnvironmentVariable(name: "B", value: "2")])
        #expect(unit.execStop.map(\.arguments) == [["/bin/a"], ["/bin/b"]])
    }

    @Test func emptyAssignmentResetsLists() throws {
        let text = """
        [Unit]
        After=a.service
        After=
        After=b.service
        [Service]
        ExecStart=/bin/first
        ExecStart=
        ExecStart=/bin/second
        Environment=A=1
        Environment=
        Environment=B=2
        EnvironmentFile=/etc/a.env
        EnvironmentFile=
        EnvironmentFile=-/etc/b.env
        [X-Fleet]
        MachineMetadata=a=b
        MachineMetadata=
        MachineMetadata=c=d
        Conflicts=x.service
        Conflicts=
        MachineOf=y.service
        MachineOf=
        """
        let fleet = try T.unit(text)
        #expect(fleet.unit.after == ["b.service"])
        #expect(fleet.unit.execStart == [ExecCommand(arguments: ["/bin/second"])])
        #expect(fleet.unit.environment == [EnvironmentVariable(name: "B", value: "2")])
        #expect(fleet.unit.environmentFiles == [EnvironmentFile(path: "/etc/b.env", optional: true)])
        #expect(fleet.placement.metadata == ["c": ["d"]])
        #expect(fleet.placement.conflicts.isEmpty)
        #expect(fleet.placement.machineOf.isEmpty)
    }

    @Test func quotingFollowsSystemdWordSplitting() throws {
        let text = #"""
        [Service]
        ExecStart=/bin/sh -c "echo 'a b' \"q\"" 'single "double"' --name="x y" a\ b tab\tend \x41\101
        Environment="A=b c" "D=e" F='g h' I=j\ k
        """#
        let unit = try T.unit(text).unit
        #expect(unit.execStart.first?.arguments == ["/bin/sh", "-c", #"echo 'a b' "q""#, #"single "double""#, "--name=x y", "a b", "tab\tend", "AA"])
        #expect(unit.environment == [
            EnvironmentVariable(name: "A", value: "b c"), EnvironmentVariable(name: "D", value: "e"),
            EnvironmentVariable(name: "F", value: "g h"), EnvironmentVariable(name: "I", value: "j k"),
        ])
    }

    @Test func unterminatedQuoteIsReportedAtTheQuote() {
        T.expectError("[Service]\nExecStart=/bin/sh -c \"echo\n", at: 2, 22, "unterminated double quote")
    }

    @Test func keyOutsideAnySection() {
        T.expectError("ExecStart=/bin/true\n[Service]\nExecStart=/bin/true\n", at: 1, 1, "'ExecStart' is outside any section")
    }

    @Test func brokenSectionHeaders() {
        T.expectError("[Service\nExecStart=/bin/true\n", at: 1, 9, "missing ']'")
        let junk = T.errors("[Service]junk\nExecStart=/bin/true\n")
        #expect(junk.first == "1:10: unexpected text after section header '[Service]'")
    }

    @Test func lineWithoutEquals() {
        T.expectError(T.service("  Restart always\n"), at: 3, 3, "expected 'Key=Value'")
    }

    @Test func emptyKey() {
        T.expectError(T.service("  = value\n"), at: 3, 3, "missing key before '='")
    }

    @Test func unknownSectionGetsAHintAndXSectionsAreIgnored() throws {
        T.expectError(T.service("[Servce]\nFoo=bar\n"), at: 3, 2, "unknown section '[Servce]'; did you mean 'Service'?")
        let unit = try T.unit(T.service("[X-Custom]\nAnything=goes\n"))
        #expect(unit.unit.execStart.count == 1)
    }

    @Test func diagnosticsPrintInCompilerFormat() {
        let (_, diagnostics) = T.parse("[Service]\nExecStart=/bin/true\nRestart=sometimes\n")
        #expect(diagnostics.map(\.description) == [
            "t.service:3:9: error: invalid Restart= value 'sometimes'; expected one of: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always",
        ])
    }

    @Test func crlfLineEndings() throws {
        let unit = try T.unit("[Service]\r\nExecStart=/bin/true\r\nUser=core\r\n").unit
        #expect(unit.user == "core")
    }
}
