@testable import FlotillaAgent
import FlotillaModel
import Glibc
import Testing

@Suite("Launching: environment files, expansion, command composition, /proc and cgroup parsing")
struct LaunchTests {
    @Test("EnvironmentFile syntax: comments, quotes, escapes, continuations, invalid lines")
    func environmentFile() {
        let text = """
        # comment
        ; also a comment

        A=plain value   
          B = spaced
        C="double \\"quoted\\" $x"
        D='single \\n kept'
        E=esc\\aped
        F=one \\
        two
        export G=exported
        not an assignment
        1BAD=x
        H=
        """
        let parsed = EnvironmentFileParser.parse(text)
        #expect(parsed.assignments.map { "\($0.name)=\($0.value)" } == [
            "A=plain value", "B=spaced", "C=double \"quoted\" $x", "D=single \\n kept", "E=escaped", "F=one two",
            "G=exported", "H=",
        ])
        #expect(parsed.invalidLines == [12, 13])
    }

    private let facts = ExecExpansion.MachineFacts(machineID: "m-1", hostname: "host", bootID: "b00t")

    @Test("${VAR} stays one argument, $VAR alone splits at whitespace, $$ is a dollar, unset is empty")
    func expansion() {
        let environment = ["A": "a b", "B": "x  y", "EMPTY": ""]
        #expect(ExecExpansion.expand(["/bin/p", "${A}", "$B", "pre${A}post", "$$HOME", "${NONE}", "$EMPTY", "$NOT-A-NAME"],
                                     environment: environment, facts: facts)
            == ["/bin/p", "a b", "x", "y", "prea bpost", "$HOME", "", "$NOT-A-NAME"])
    }

    @Test("%m %H %b %% are resolved on the machine")
    func specifiers() {
        #expect(ExecExpansion.expand(["/bin/p", "--id=%m", "%H/%b", "100%%"], environment: [:], facts: facts)
            == ["/bin/p", "--id=m-1", "host/b00t", "100%"])
    }

    @Test("commands: plain; as another user through setpriv; inside a cgroup through sh, which then execs")
    func compose() throws {
        let plain = try LaunchCommand.compose(program: "/usr/bin/env", arguments: ["env", "-0"], cgroupProcs: [], user: nil, setpriv: nil)
        #expect(plain == LaunchCommand(path: "/usr/bin/env", arguments: ["env", "-0"]))
        let nobody = UserIdentity(name: "nobody", uid: 65534, gid: 65533, home: "/", shell: "/bin/false")
        let both = try LaunchCommand.compose(program: "/bin/app", arguments: ["app", "x"], cgroupProcs: ["/cg/a/cgroup.procs"],
                                             user: nobody, setpriv: "/usr/bin/setpriv")
        #expect(both.path == "/bin/sh")
        #expect(both.arguments == ["/bin/sh", "-c", LaunchCommand.joinScript, "flotilla-cgroup-join", "/cg/a/cgroup.procs", "--",
                                   "/usr/bin/setpriv", "--reuid=65534", "--regid=65533", "--init-groups", "--", "/bin/app", "x"])
        #expect(throws: SpawnFailure.self) {
            try LaunchCommand.compose(program: "/bin/app", arguments: ["app"], cgroupProcs: [], user: nobody, setpriv: nil)
        }
    }

    @Test("network: overlay: ip netns exec enters the instance's namespace before setpriv drops root, inside the cgroup")
    func composeInNamespace() throws {
        let nobody = UserIdentity(name: "nobody", uid: 65534, gid: 65533, home: "/", shell: "/bin/false")
        let all = try LaunchCommand.compose(program: "/bin/app", arguments: ["app", "x"], cgroupProcs: ["/cg/a/cgroup.procs"], user: nobody,
                                            setpriv: "/usr/bin/setpriv", namespace: "flotilla-0123456789", ip: "/usr/sbin/ip")
        #expect(all.arguments == ["/bin/sh", "-c", LaunchCommand.joinScript, "flotilla-cgroup-join", "/cg/a/cgroup.procs", "--",
                                  "/usr/sbin/ip", "netns", "exec", "flotilla-0123456789",
                                  "/usr/bin/setpriv", "--reuid=65534", "--regid=65533", "--init-groups", "--", "/bin/app", "x"])
        let plain = try LaunchCommand.compose(program: "/bin/app", arguments: ["app"], cgroupProcs: [], user: nil, setpriv: nil,
                                              namespace: "flotilla-0123456789", ip: "/sbin/ip")
        #expect(plain == LaunchCommand(path: "/sbin/ip", arguments: ["ip", "netns", "exec", "flotilla-0123456789", "/bin/app"]))
        #expect(throws: SpawnFailure("network: overlay needs ip from iproute2, which is not installed; install iproute2 (apt-get install iproute2)")) {
            try LaunchCommand.compose(program: "/bin/app", arguments: ["app"], cgroupProcs: [], user: nil, setpriv: nil, namespace: "n", ip: nil)
        }
    }

    @Test("program lookup follows the unit's PATH and explains misses")
    func resolve() throws {
        let present: Set<String> = ["/opt/bin/tool", "/usr/bin/tool", "/abs/prog"]
        #expect(try LaunchCommand.resolve("tool", path: "/nowhere:/opt/bin:/usr/bin", isExecutable: present.contains) == "/opt/bin/tool")
        #expect(try LaunchCommand.resolve("/abs/prog", path: "", isExecutable: present.contains) == "/abs/prog")
        #expect(throws: SpawnFailure("'nope' not found in PATH=/usr/bin; give the full path or set PATH with Environment=")) {
            try LaunchCommand.resolve("nope", path: "/usr/bin", isExecutable: present.contains)
        }
    }

    @Test("/proc/<pid>/stat: fields counted from the last ')' of the command name")
    func procStat() throws {
        let text = "4242 (my (odd) cmd) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
        let stat = try #require(ProcStat(parsing: text))
        #expect(stat.state == "S")
        #expect(stat.parent == 1)
        #expect(stat.processGroup == 4240)
        #expect(stat.startTime == 987654)
        #expect(ProcStat(parsing: "garbage") == nil)
        #expect(ProcStat.read(getpid())?.parent == getppid())
    }

    @Test("cgroup hierarchies: v1 controllers win, v2 offers the rest; own paths from /proc/self/cgroup")
    func cgroupDetection() {
        let mountinfo = """
        30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
        33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
        """
        let own = "4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/u\n"
        let hybrid = CgroupSystem.parse(mountinfo: mountinfo, ownCgroups: own) { _ in ["memory", "pids"] }
        #expect(hybrid.cpu == CgroupSystem.Hierarchy(version: 1, mount: "/sys/fs/cgroup/cpu,cpuacct", ownPath: "/c"))
        #expect(hybrid.memory == CgroupSystem.Hierarchy(version: 2, mount: "/sys/fs/cgroup/unified", ownPath: "/u"))
        let none = CgroupSystem.parse(mountinfo: mountinfo, ownCgroups: own) { _ in ["hugetlb"] }
        #expect(none.memory == nil)
        let settings = CgroupSettings(parent: "flotilla-t", nested: true)
        #expect(settings.directory("app@1_web_x", in: hybrid.cpu!) == "/sys/fs/cgroup/cpu,cpuacct/c/flotilla-t/app@1_web_x")
        #expect(CgroupSettings().directory("u", in: hybrid.memory!) == "/sys/fs/cgroup/unified/flotilla/u")
    }

    @Test("limit files: v1 and v2 values for 250 millicores and 64 MiB")
    func limitFiles() {
        let limits = Resources(cpu: 250, memory: 64 << 20)
        #expect(CgroupControl.limitFiles("memory", version: 1, limits: limits).map { "\($0.0)=\($0.1)" } == ["memory.limit_in_bytes=67108864"])
        #expect(CgroupControl.limitFiles("cpu", version: 1, limits: limits).map { "\($0.0)=\($0.1)" }
            == ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=25000"])
        #expect(CgroupControl.limitFiles("memory", version: 2, limits: limits).map { "\($0.0)=\($0.1)" } == ["memory.max=67108864"])
        #expect(CgroupControl.limitFiles("cpu", version: 2, limits: limits).map { "\($0.0)=\($0.1)" } == ["cpu.max=25000 100000"])
    }
}
