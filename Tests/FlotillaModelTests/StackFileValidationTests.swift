import Testing
@testable import FlotillaModel

@Suite("StackFile: validation")
struct StackFileValidationTests {
    @Test func unknownKeysAtEveryLevelSuggestTheNearestKey() {
        let yaml = """
        stacks:
          lamp:
            cuont: 5
            placement: { metdata: { disk: ssd } }
            units:
              mysql: { exec: /bin/mysqld, resources: { memroy: 1Gi }, helth: { tcp: 1 } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:3:5: error: unknown key 'cuont' in stack 'lamp'; did you mean 'count'?",
            "lamp.yaml:4:18: error: unknown key 'metdata' in placement of stack 'lamp'; did you mean 'metadata'?",
            "lamp.yaml:6:63: error: unknown key 'helth' in unit 'mysql' of stack 'lamp'; did you mean 'health'?",
            "lamp.yaml:6:48: error: unknown key 'memroy' in resources of unit 'mysql'; did you mean 'memory'?",
        ])
    }

    @Test func unknownTopLevelKeyAndMissingStacks() {
        #expect(stackMessages("stack:\n  lamp: {}\n") == [
            "lamp.yaml:1:1: error: unknown key 'stack' at the top level; did you mean 'stacks'?",
            "lamp.yaml:1:1: error: missing 'stacks'; a stack file starts with 'stacks:' followed by named stacks",
        ])
        #expect(stackMessages("version: 2\nstacks: []\n") == [
            "lamp.yaml:1:10: error: unsupported version 2; this Flotilla reads version 1",
            "lamp.yaml:2:9: error: expected a mapping for 'stacks', found a list",
        ])
        #expect(stackMessages("") == ["lamp.yaml:1:1: error: the file is empty"])
    }

    @Test func wrongTypes() {
        let yaml = """
        stacks:
          lamp:
            placement: [a]
            spread: zone
            global: yes please
            units:
              a: { exec: /bin/a, after: b, exclusive: 1, env_from: /x/ }
              b: [exec]
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:3:16: error: expected a mapping for 'placement', found a list",
            "lamp.yaml:4:13: error: invalid spread 'zone'; use 'machine' or '{ metadata: KEY }'",
            "lamp.yaml:5:13: error: expected true or false for 'global', found 'yes please'",
            "lamp.yaml:7:33: error: expected a list of strings for 'after', found 'b'",
            "lamp.yaml:7:47: error: expected true or false for 'exclusive', found '1'",
            "lamp.yaml:7:60: error: expected a list of strings for 'env_from', found '/x/'",
            "lamp.yaml:8:10: error: expected a mapping for 'b', found a list",
        ])
    }

    @Test func duplicateKeyPointsAtTheSecondOccurrence() {
        let block = "stacks:\n  lamp:\n    count: 5\n    units: { a: { exec: /bin/a } }\n    count: 6\n"
        #expect(stackMessages(block) == ["lamp.yaml:5:5: error: duplicate key 'count' (first defined at line 3)"])
        let flow = "stacks:\n  lamp: { count: 1, units: { a: { exec: /bin/a } }, count: 2 }\n"
        #expect(stackMessages(flow) == ["lamp.yaml:2:53: error: duplicate key 'count' (first defined at line 2)"])
    }

    @Test func countAndGlobal() {
        let yaml = """
        stacks:
          lamp:
            count: 2
            global: true
            units: { a: { exec: /bin/a } }
          web:
            count: -1
            units: { a: { exec: /bin/a } }
          db:
            count: 2.5
            units: { a: { exec: /bin/a } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:4:5: error: stack 'lamp' sets both 'count' and 'global'; use one of them",
            "lamp.yaml:7:12: error: count must be 0 or more, found -1",
            "lamp.yaml:10:12: error: expected an integer for 'count', found '2.5'",
        ])
    }

    @Test func unitsMustExistAndEachNeedsExecOrUnit() {
        let yaml = """
        stacks:
          empty:
            units: {}
          missing:
            count: 1
          db:
            units:
              both: { exec: /bin/x, unit: ./x.service }
              none: { user: x }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:3:12: error: stack 'empty' has no units; define at least one under 'units'",
            "lamp.yaml:4:3: error: stack 'missing' has no 'units'",
            "lamp.yaml:8:29: error: unit 'both' sets both 'exec' and 'unit'; use one of them",
            "lamp.yaml:9:7: error: unit 'none' of stack 'db' needs 'exec' (a command) or 'unit' (a fleet unit file)",
        ])
    }

    @Test func afterMustNameUnitsOfTheStackWithoutCycles() {
        let yaml = """
        stacks:
          lamp:
            units:
              mysql: { exec: /bin/m, after: [apache] }
              apache: { exec: /bin/a, after: [mysq1, mysql] }
              cron: { exec: /bin/c, after: [cron] }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:5:39: error: unit 'apache' is after 'mysq1', which is not a unit of this stack; did you mean 'mysql'?",
            "lamp.yaml:5:46: error: 'after' cycle: mysql -> apache -> mysql",
            "lamp.yaml:6:37: error: 'after' cycle: cron -> cron",
        ])
    }

    @Test func invalidNames() {
        let yaml = """
        stacks:
          Lamp:
            units: { a: { exec: /bin/a } }
          web@1:
            units: { My.Unit: { exec: /bin/a } }
          \(String(repeating: "x", count: 64)):
            units: { a: { exec: /bin/a } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:2:3: error: invalid stack name 'Lamp'; stack names use lowercase letters, digits and '-', start with a letter or digit and have at most 63 characters",
            "lamp.yaml:4:3: error: invalid stack name 'web@1': '@' is reserved for instance names like 'lamp@3'",
            "lamp.yaml:5:14: error: invalid unit name 'My.Unit'; unit names use lowercase letters, digits, '-' and '_', start with a letter or digit and have at most 63 characters",
            "lamp.yaml:6:3: error: stack name '\(String(repeating: "x", count: 64))' is longer than 63 characters",
        ])
    }

    @Test func quantitiesAndPorts() {
        let yaml = """
        stacks:
          lamp:
            units:
              a:
                exec: /bin/a
                resources: { memory: 512MB, cpu: lots, disk: -1Gi, ports: [0, 80, 80] }
              b: { exec: /bin/b, resources: { ports: [80, 65536] } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:6:30: error: memory: invalid size '512MB'; did you mean '512Mi' or '512Gi'? (use a size like '512Mi', '1G' or '10Gi')",
            "lamp.yaml:6:42: error: cpu: invalid cpu quantity 'lots'; use millicores like '500m' or cores like '2'",
            "lamp.yaml:6:54: error: disk: invalid size '-1Gi'; use a size like '512Mi', '1G' or '10Gi'",
            "lamp.yaml:6:68: error: port 0 is out of range 1-65535",
            "lamp.yaml:6:75: error: port 80 is listed twice",
            "lamp.yaml:7:51: error: port 65536 is out of range 1-65535",
            "lamp.yaml:7:47: error: port 80 is already used by unit 'a' of stack 'lamp'",
        ])
    }

    @Test func placementRules() {
        let yaml = """
        stacks:
          lamp:
            placement:
              conflicts: ["lamp@[", "ok-*"]
              machine_of: ["db@%x"]
              metadata: { disk: [] }
              machine: "a b"
            units: { a: { exec: /bin/a } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:4:19: error: invalid glob 'lamp@[' in conflicts; use '*', '?', '[a-z]' and '\\' to escape",
            "lamp.yaml:5:20: error: invalid machine_of 'db@%x': only '%i' (this instance's index) may follow '%'",
            "lamp.yaml:6:25: error: metadata 'disk' lists no values",
            "lamp.yaml:7:16: error: invalid machine ID 'a b'; give the full machine ID or its first 8 characters",
        ])
    }

    @Test func cronSchedules() {
        func messages(_ schedule: String) -> [String] {
            stackMessages("stacks:\n  s:\n    units:\n      job: { exec: /bin/j, schedule: \"\(schedule)\" }\n")
        }
        #expect(messages("*/5 * * * *") == [])
        #expect(messages("0,30 9-17/2 1-15 jan-mar MON-fri") == [])
        #expect(messages("0 0 * * 7") == [])
        #expect(messages("*/5 * * *") == ["lamp.yaml:4:38: error: invalid schedule '*/5 * * *': expected 5 fields (minute hour day-of-month month day-of-week), found 4"])
        #expect(messages("61 * * * *") == ["lamp.yaml:4:38: error: invalid schedule '61 * * * *': minute value 61 is out of range 0-59"])
        #expect(messages("0 0 * jna *") == ["lamp.yaml:4:38: error: invalid schedule '0 0 * jna *': invalid month value 'jna'; did you mean 'jan'?"])
        #expect(messages("*/0 * * * *") == ["lamp.yaml:4:38: error: invalid schedule '*/0 * * * *': invalid step '0' in minute field; use a positive integer"])
        #expect(messages("0 5-2 * * *") == ["lamp.yaml:4:38: error: invalid schedule '0 5-2 * * *': range '5-2' in hour field goes backwards"])
        #expect(messages("0 0 0 * *") == ["lamp.yaml:4:38: error: invalid schedule '0 0 0 * *': day-of-month value 0 is out of range 1-31"])
    }

    @Test func unitValues() {
        let yaml = """
        stacks:
          lamp:
            units:
              a: { exec: "/bin/'x", restart: on-falure, type: daemon, restart_sec: 5x, working_dir: rel }
              b: { exec: /bin/b, env: { 1X: y, OK: [1], GOOD_1: 2 }, env_from: [fulfill/] }
              c: { exec: [], user: [root] }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:4:18: error: unterminated ' quote in 'exec'",
            "lamp.yaml:4:38: error: invalid restart 'on-falure'; expected one of no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always; did you mean 'on-failure'?",
            "lamp.yaml:4:55: error: invalid type 'daemon'; expected one of simple, exec, oneshot, forking",
            "lamp.yaml:4:76: error: invalid duration '5x' for 'restart_sec'; use seconds like '5' or a span like '500ms', '5s', '1m30s', '1h'",
            "lamp.yaml:4:93: error: working_dir 'rel' must be an absolute path",
            "lamp.yaml:5:33: error: invalid environment variable name '1X'; use letters, digits and '_', not starting with a digit",
            "lamp.yaml:5:44: error: expected a string value for environment variable 'OK', found a list",
            "lamp.yaml:5:73: error: env_from 'fulfill/' must be a store key or prefix starting with '/'",
            "lamp.yaml:6:18: error: 'exec' is empty; give the program and its arguments",
            "lamp.yaml:6:28: error: expected a string for 'user', found a list",
        ])
    }

    @Test func healthChecks() {
        let yaml = """
        stacks:
          lamp:
            units:
              a: { exec: /bin/a, health: { tcp: 70000 } }
              b: { exec: /bin/b, health: { http: /h } }
              c: { exec: /bin/c, health: { http: /h, port: 80, tcp: 1 } }
              d: { exec: /bin/d, health: { tcp: 80, port: 81 } }
              e: { exec: /bin/e, health: { interval: 1s } }
              f: { exec: /bin/f, health: { http: h, port: 0 } }
              g: { exec: /bin/g, health: { exec: "/bin/check --quick", timeout: 500ms } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:4:41: error: port 70000 is out of range 1-65535",
            "lamp.yaml:5:36: error: an 'http' health check needs 'port'",
            "lamp.yaml:6:56: error: health of unit 'c' sets both 'http' and 'tcp'; use one",
            "lamp.yaml:7:45: error: 'port' is only used with 'http'; 'tcp' takes the port itself",
            "lamp.yaml:8:34: error: health of unit 'e' needs one of 'tcp', 'http' or 'exec'",
            "lamp.yaml:9:42: error: http health path 'h' must start with '/'",
        ])
        let good = StackFile.parse(text: "stacks:\n  s:\n    units:\n      g: { exec: /bin/g, health: { exec: \"/bin/check --quick\", timeout: 500ms } }\n", file: "s.yaml")
        #expect(good.stacks.first?.units.first?.health == .exec(arguments: ["/bin/check", "--quick"], intervalSec: 10, timeoutSec: 0.5))
        #expect(good.stacks.first?.units.first?.healthFailures == 3, "a check restarts after 3 failures unless told otherwise")
        #expect(good.stacks.first?.units.first?.healthGrace == 0)
    }

    @Test func healthFailuresAndGrace() {
        let yaml = """
        stacks:
          lamp:
            units:
              a: { exec: /bin/a, health: { tcp: 80, failures: -1 } }
              b: { exec: /bin/b, health: { tcp: 80, grace: soon } }
        """
        #expect(stackMessages(yaml) == [
            "lamp.yaml:4:55: error: health failures of unit 'a' must be 0 (only report) or more, got -1",
            "lamp.yaml:5:52: error: invalid duration 'soon' for 'grace'; use seconds like '5' or a span like '500ms', '5s', '1m30s', '1h'",
        ])
        let good = StackFile.parse(text: "stacks:\n  s:\n    units:\n      g: { exec: /bin/g, health: { tcp: 80, failures: 5, grace: 30s } }\n      r: { exec: /bin/r, health: { tcp: 81, failures: 0 } }\n", file: "s.yaml")
        let units = good.stacks.first?.units ?? []
        #expect(units.map(\.healthFailures) == [5, 0])
        #expect(units.map(\.healthGrace) == [30, 0])
    }

    @Test func yamlSyntaxErrorsKeepTheirPosition() {
        #expect(stackMessages("stacks:\n  lamp:\n    units:\n      a: [exec]\n    - bad\n") == [
            "lamp.yaml:5:5: error: invalid YAML: did not find expected key (while parsing a block mapping)",
        ])
        #expect(stackMessages("stacks:\n  lamp:\n    units:\n      a: { exec: /bin/a\n") == [
            "lamp.yaml:5:1: error: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping)",
        ])
    }

    @Test("libyaml's C-API wording and likely causes are put in the user's words")
    func yamlErrorsInPlainWords() {
        let deep = "stacks: " + String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000) + "\n"
        #expect(stackMessages(deep).first?.hasSuffix("error: invalid YAML: lists and mappings are nested too deeply (more than 1000 levels)") == true,
                "\(stackMessages(deep))")
        #expect(!stackMessages(deep).joined().contains("yaml_"), "no libyaml function names")
        #expect(stackMessages("stacks:\n\tlamp: {}\n") == ["lamp.yaml:2:1: error: invalid YAML: a tab indents this line; YAML is indented with spaces only"])
        #expect(stackMessages("stacks: {}\n---\nstacks: {}\n") == [
            "lamp.yaml:2:1: error: invalid YAML: the file holds more than one document ('---'); put every stack in one document",
        ])
    }

    @Test func everyErrorIsReportedAndNothingIsReturned() {
        let yaml = """
        stacks:
          good:
            units: { a: { exec: /bin/a } }
          bad:
            cuont: 2
            units:
              a: { exec: /bin/a, resources: { cpu: 2x } }
          alsogood:
            units: { a: { exec: /bin/a } }
        """
        let result = StackFile.parse(text: yaml, file: "lamp.yaml")
        #expect(result.stacks.isEmpty)
        #expect(result.diagnostics.count == 2)
        #expect(result.diagnostics.allSatisfy { $0.severity == .error })
        #expect(result.diagnostics.map(\.location.line) == [5, 7])
        let fixed = StackFile.parse(text: yaml.replacingOccurrences(of: "cuont", with: "count").replacingOccurrences(of: "2x", with: "2"), file: "lamp.yaml")
        #expect(fixed.diagnostics.isEmpty)
        #expect(fixed.stacks.map(\.name) == ["good", "bad", "alsogood"])
        #expect(fixed.stacks[1].resources.cpu == 2000)
    }
}
