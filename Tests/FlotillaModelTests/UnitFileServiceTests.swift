import Testing
@testable import FlotillaModel

@Suite("UnitFile [Unit] [Service] [Timer]")
struct UnitFileServiceTests {
    typealias T = UnitFileTest

    @Test func serviceKeysMapToTheModel() throws {
        let text = """
        [Unit]
        Description=Web %n
        After=docker.service etcd.service
        [Service]
        Type=forking
        Restart=on-failure
        RestartSec=1min 30s
        TimeoutStartSec=500ms
        TimeoutStopSec=infinity
        KillSignal=INT
        WorkingDirectory=-/srv/web
        User=core
        Group=docker
        RemainAfterExit=yes
        EnvironmentFile=-/etc/web.env
        EnvironmentFile=/etc/common.env
        ExecStart=/usr/bin/web
        """
        let unit = try T.unit(text).unit
        #expect(unit.name == "web.service")
        #expect(unit.kind == .service)
        #expect(unit.description == "Web web.service")
        #expect(unit.after == ["docker.service", "etcd.service"])
        #expect(unit.type == .forking)
        #expect(unit.restart == .onFailure)
        #expect(unit.restartSec == 90)
        #expect(unit.timeoutStartSec == 0.5)
        #expect(unit.timeoutStopSec == 0)
        #expect(unit.killSignal == "SIGINT")
        #expect(unit.workingDirectory == "/srv/web")
        #expect(unit.user == "core")
        #expect(unit.group == "docker")
        #expect(unit.remainAfterExit)
        #expect(unit.environmentFiles == [EnvironmentFile(path: "/etc/web.env", optional: true), EnvironmentFile(path: "/etc/common.env", optional: false)])
    }

    @Test func timeSpans() {
        #expect(TimeSpan.seconds("5") == 5)
        #expect(TimeSpan.seconds("5s") == 5)
        #expect(TimeSpan.seconds("1min 30s") == 90)
        #expect(TimeSpan.seconds("1min30s") == 90)
        #expect(TimeSpan.seconds("500ms") == 0.5)
        #expect(TimeSpan.seconds("2h") == 7200)
        #expect(TimeSpan.seconds("1d 2h") == 93600)
        #expect(TimeSpan.seconds("infinity") == .infinity)
        #expect(TimeSpan.seconds("5 parsecs") == nil)
        #expect(TimeSpan.seconds("") == nil)
    }

    @Test func timeoutSecSetsBoth() throws {
        let unit = try T.unit(T.service("TimeoutSec=20\n")).unit
        #expect(unit.timeoutStartSec == 20 && unit.timeoutStopSec == 20)
        T.expectError(T.service("RestartSec=soon\n"), at: 3, 12, "invalid RestartSec= value 'soon'")
    }

    @Test func execPrefixes() throws {
        let text = T.service("ExecStartPre=-/bin/pre\nExecStartPost=@/bin/busybox sh -c true\nExecStop=+/bin/stop\nExecStopPost=-!/bin/post\n")
        let unit = try T.unit(text).unit
        #expect(unit.execStartPre == [ExecCommand(arguments: ["/bin/pre"], ignoreFailure: true)])
        #expect(unit.execStartPost == [ExecCommand(arguments: ["/bin/busybox", "-c", "true"])])
        #expect(unit.execStop == [ExecCommand(arguments: ["/bin/stop"])])
        #expect(unit.execStopPost == [ExecCommand(arguments: ["/bin/post"], ignoreFailure: true)])
        let warnings = T.warnings(text)
        #expect(warnings.count == 3)
        #expect(warnings.contains { $0.hasPrefix("4:15:") && $0.contains("'@' prefix") && $0.contains("'sh' is dropped") })
        #expect(warnings.contains { $0.hasPrefix("5:10:") && $0.contains("'+' prefix") })
        T.expectError(T.service("ExecStop=./stop\n"), at: 3, 10, "must be absolute")
        T.expectError(T.service("ExecStop=-\n"), at: 3, 11, "no command after '-'")
    }

    @Test func restartAcceptsEverySystemdValueAndRejectsOthers() throws {
        for value in ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"] {
            #expect(try T.unit(T.service("Restart=\(value)\n")).unit.restart.rawValue == value)
        }
        T.expectError(T.service("Restart=sometimes\n"), at: 3, 9, "expected one of: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always")
        T.expectError(T.service("Restart=alway\n"), at: 3, 9, "did you mean 'always'?")
    }

    @Test func typeValues() throws {
        #expect(try T.unit(T.service("Type=exec\n")).unit.type == .exec)
        #expect(try T.unit(T.service("Type=notify\n")).unit.type == .simple)
        #expect(T.warnings(T.service("Type=notify\n")) == ["3:6: Type=notify is not supported by Flotilla; the unit runs as Type=simple"])
        T.expectError(T.service("Type=oneshoot\n"), at: 3, 6, "did you mean 'oneshot'?")
    }

    @Test func killSignalValidation() throws {
        #expect(try T.unit(T.service("KillSignal=SIGKILL\n")).unit.killSignal == "SIGKILL")
        #expect(try T.unit(T.service("KillSignal=15\n")).unit.killSignal == "SIGTERM")
        T.expectError(T.service("KillSignal=SIGTREM\n"), at: 3, 12, "did you mean 'SIGTERM'?")
    }

    @Test func resourceLimitsUseBase1024AndPercentOfACore() throws {
        let unit = try T.unit(T.service("MemoryMax=512M\nCPUQuota=50%\n")).unit
        #expect(unit.resources.memory == 512 * 1024 * 1024)
        #expect(unit.resources.cpu == 500)
        #expect(try T.unit(T.service("MemoryLimit=1G\n")).unit.resources.memory == 1 << 30)
        #expect(try T.unit(T.service("MemoryMax=1.5K\n")).unit.resources.memory == 1536)
        #expect(try T.unit(T.service("CPUQuota=250%\n")).unit.resources.cpu == 2500)
        T.expectError(T.service("MemoryMax=512MB\n"), at: 3, 11, "invalid MemoryMax= value '512MB'")
        T.expectError(T.service("CPUQuota=0.5\n"), at: 3, 10, "percentage")
    }

    @Test func unknownAndIgnoredKeys() {
        T.expectError(T.service("ExecStrt=/bin/x\n"), at: 3, 1, "unknown key 'ExecStrt' in [Service]; did you mean 'ExecStart'?")
        T.expectError("[Unit]\nDescripton=x\n" + T.service(""), at: 2, 1, "did you mean 'Description'?")
        let warnings = T.warnings("[Unit]\nRequires=docker.service\n" + T.service("LimitNOFILE=4096\n[Install]\nWantedBy=multi-user.target\n"))
        #expect(warnings == [
            "2:1: Requires= is not supported by Flotilla; ignored",
            "5:1: LimitNOFILE= is not supported by Flotilla; ignored",
            "6:2: [Install] is ignored: Flotilla starts units itself",
        ])
        T.expectError(T.service("[Install]\nWantedBi=x.target\n"), at: 4, 1, "did you mean 'WantedBy'?")
    }

    @Test func serviceWithNothingToRun() {
        T.expectError("[Unit]\nDescription=x\n[Service]\nUser=core\n", at: 3, 2, "has nothing to run")
        T.expectError("[Unit]\nDescription=x\n", at: 1, 1, "has nothing to run")
    }

    @Test func severalExecStartOnlyForOneshot() throws {
        T.expectError("[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n", at: 3, 1, "more than one ExecStart= (first at line 2) is only allowed with Type=oneshot")
        let unit = try T.unit("[Service]\nExecStart=/bin/a\nExecStart=/bin/b\nType=oneshot\n").unit
        #expect(unit.execStart.count == 2)
    }

    @Test func environmentRequiresValidNames() {
        T.expectError(T.service("Environment=OK=1 1BAD=2\n"), at: 3, 18, "invalid Environment= assignment '1BAD=2'")
    }

    @Test func timerUnit() throws {
        let text = """
        [Timer]
        OnCalendar=daily
        OnCalendar=Mon..Fri *-*-* 02:00:00
        OnCalendar=*-*-01 04:30
        OnUnitActiveSec=15min
        OnBootSec=2min
        Unit=report.service
        Persistent=true
        AccuracySec=1s
        """
        let unit = try T.unit(text, name: "report.timer").unit
        #expect(unit.kind == .timer)
        #expect(unit.timer == TimerSpec(onCalendar: ["daily", "Mon..Fri *-*-* 02:00:00", "*-*-01 04:30"], onUnitActiveSec: 900,
                                        onBootSec: 120, unit: "report.service", persistent: true, accuracySec: 1))
    }

    @Test func timerErrors() {
        T.expectError("[Unit]\nDescription=x\n[Timer]\nPersistent=yes\n", name: "a.timer", at: 3, 2, "[Timer] has no trigger")
        T.expectError("[Timer]\nOnCalendar=every tuesday\n", name: "a.timer", at: 2, 12, "invalid OnCalendar= value")
        T.expectError("[Timer]\nOnCalendar=daily\nUnit=b.timer\n", name: "a.timer", at: 3, 6, "non-timer unit")
        T.expectError("[Timer]\nOnCalendar=daily\n[Service]\nExecStart=/bin/x\n", name: "a.timer", at: 3, 2, "[Service] belongs in a .service unit")
        T.expectError("[Unit]\nDescription=x\n", name: "a.timer", at: 1, 1, "no [Timer] section")
    }
}
