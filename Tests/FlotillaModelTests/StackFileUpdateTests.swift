import Testing
@testable import FlotillaModel

@Suite("StackFile: update and keep_versions")
struct StackFileUpdateTests {
    private func stack(_ yaml: String) -> StackSpec? {
        StackFile.parse(text: yaml, file: "web.yaml").stacks.first
    }

    @Test("every key of update: is read; a stack without the block rolls with the defaults")
    func readsEveryKey() throws {
        let spec = try #require(stack("""
        stacks:
          web:
            count: 4
            keep_versions: 3
            update: { max_parallel: 2, min_healthy_time: 1s, healthy_deadline: 1m, auto_revert: false, canary: 1 }
            units:
              main: { exec: /bin/true }
        """))
        #expect(spec.update == UpdateStrategy(maxParallel: 2, minHealthyTime: 1, healthyDeadline: 60, autoRevert: false, canary: 1))
        #expect(spec.keepVersions == 3)
        let plain = try #require(stack("stacks:\n  web:\n    units:\n      main: { exec: /bin/true }\n"))
        #expect(plain.update == nil && plain.keepVersions == nil)
        #expect(plain.updateStrategy == UpdateStrategy(maxParallel: 1, minHealthyTime: 10, healthyDeadline: 300, autoRevert: true, canary: 0))
    }

    @Test("bad values are errors that name the key and the stack")
    func rejectsBadValues() {
        let messages = stackMessages("""
        stacks:
          web:
            count: 2
            keep_versions: 0
            update: { max_parallel: 0, min_healthy_time: soon, paralel: 2 }
            units:
              main: { exec: /bin/true }
        """)
        #expect(messages.contains { $0.contains("unknown key 'paralel' in update of stack 'web'") })
        #expect(messages.contains { $0.contains("keep_versions of stack 'web' must be 1 or more") })
        #expect(messages.contains { $0.contains("max_parallel of stack 'web' must be 1 or more, got 0") })
        #expect(messages.contains { $0.contains("invalid duration 'soon' for 'min_healthy_time'") })
        #expect(messages.count == 4, "\(messages)")
    }

    @Test("more canaries than the count, and a deadline no longer than min_healthy_time, are rejected")
    func rejectsContradictions() {
        let messages = stackMessages("""
        stacks:
          web:
            count: 2
            update: { canary: 3 }
            units:
              main: { exec: /bin/true }
          api:
            update: { min_healthy_time: 2m, healthy_deadline: 1m }
            units:
              main: { exec: /bin/true }
        """)
        #expect(messages == [
            "lamp.yaml:4:13: error: stack 'web' has 3 canaries but a count of 2; canary must be at most the count",
            "lamp.yaml:8:55: error: healthy_deadline of stack 'api' (60s) must be longer than its min_healthy_time (120s): no instance could ever count as healthy",
        ], "\(messages)")
    }
}

@Suite("StackFile: reschedule")
struct StackFileRescheduleTests {
    @Test("reschedule: keys are read; defaults fill the rest; a stack without it never moves for failing")
    func readsKeys() throws {
        let spec = try #require(StackFile.parse(text: """
            stacks:
              web:
                reschedule: { attempts: 2, interval: 30m, delay: 5s, max_delay: 1m }
                units:
                  main: { exec: /bin/true }
            """, file: "web.yaml").stacks.first)
        #expect(spec.reschedule == ReschedulePolicy(attempts: 2, interval: 1800, delay: 5, maxDelay: 60))
        let defaults = try #require(StackFile.parse(text: "stacks:\n  web:\n    reschedule: {}\n    units:\n      main: { exec: /bin/true }\n",
                                                    file: "web.yaml").stacks.first)
        #expect(defaults.reschedule == ReschedulePolicy(attempts: 3, interval: 3600, delay: 30, maxDelay: 3600))
    }

    @Test("bad values and a global stack are errors naming the key")
    func rejects() {
        let messages = stackMessages("""
        stacks:
          web:
            reschedule: { attempts: 0, delay: 2m, max_delay: 1m }
            units:
              main: { exec: /bin/true }
          node:
            global: true
            reschedule: { attempts: 2 }
            disruption: { max_unavailable: 1 }
            units:
              main: { exec: /bin/true }
          pinned:
            placement: { machine: m1 }
            reschedule: {}
            units:
              main: { exec: /bin/true }
        """)
        #expect(messages == [
            "lamp.yaml:3:29: error: attempts of stack 'web' must be 1 or more, got 0",
            "lamp.yaml:8:5: error: a global stack cannot use 'reschedule': its instance belongs to its machine",
            "lamp.yaml:9:5: error: a global stack cannot use 'disruption': its instance belongs to its machine",
            "lamp.yaml:14:5: error: stack 'pinned' runs only on machine m1 (placement.machine): 'reschedule' could never move it",
        ], "\(messages)")
    }
}

@Suite("StackFile: disconnect")
struct StackFileDisconnectTests {
    @Test("disconnect: {stop_after} is read into the stack; a stack without it keeps its units running")
    func readsStopAfter() throws {
        let spec = try #require(StackFile.parse(text: """
            stacks:
              web:
                disconnect: { stop_after: 1m30s }
                units:
                  main: { exec: /bin/true }
            """, file: "web.yaml").stacks.first)
        #expect(spec.disconnect == DisconnectPolicy(stopAfter: 90))
        let plain = try #require(StackFile.parse(text: "stacks:\n  web:\n    units:\n      main: { exec: /bin/true }\n", file: "web.yaml").stacks.first)
        #expect(plain.disconnect == nil)
    }

    @Test("an empty block, an unknown key and a bad duration are errors naming the stack and the key")
    func rejects() {
        let messages = stackMessages("""
        stacks:
          web:
            disconnect: {}
            units:
              main: { exec: /bin/true }
          api:
            disconnect: { stop_after: soon, stop_afer: 1m }
            units:
              main: { exec: /bin/true }
        """)
        #expect(messages == [
            "lamp.yaml:3:17: error: disconnect of stack 'web' needs 'stop_after' (how long after losing its lease a machine stops the stack's units)",
            "lamp.yaml:7:37: error: unknown key 'stop_afer' in disconnect of stack 'api'; did you mean 'stop_after'?",
            "lamp.yaml:7:31: error: invalid duration 'soon' for 'stop_after'; \(DurationSyntax.usage)",
        ], "\(messages)")
    }
}
