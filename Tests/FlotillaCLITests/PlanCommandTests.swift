import Foundation
import Testing

@Suite("flotilla plan")
struct PlanCommandTests {
    @Test func everythingFitsExitsZero() throws {
        let result = try FlotillaBinary.run(["plan", "web.yaml", "--machines", "machines.yaml"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for index in 1...3 { #expect(result.stdout.contains("web@\(index)")) }
        #expect(result.stdout.contains("3 of 3 instances placed (3 place)."))
    }

    @Test func spreadPutsOneInstancePerMachine() throws {
        let result = try FlotillaBinary.run(["plan", "-o", "json", "web.yaml", "--machines", "machines.yaml"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let actions = try #require(object["actions"] as? [[String: Any]])
        #expect(actions.count == 3)
        #expect(Set(actions.compactMap { $0["machine"] as? String }) == ["m1", "m2", "m3"])
    }

    @Test func unplaceableExitsTwoWithReasons() throws {
        let result = try FlotillaBinary.run(["plan", "big.yaml", "--machines", "machines.yaml"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("1 instance would be unplaced:"))
        #expect(result.stdout.contains("0/3 machines fit big@1: 2 metadata disk=ssd not matched, 1 memory exhausted (needs 64Gi, most free 8Gi)"), "\(result.stdout)")
    }

    @Test func withoutMachinesAnswersWhatIf() throws {
        let result = try FlotillaBinary.run(["plan", "web.yaml", "--machines", "machines.yaml", "--without", "m3"])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stdout.contains("What if m3 is down:"))
        #expect(result.stdout.contains("machine down"))
        #expect(result.stdout.contains("conflict") || result.stdout.contains("spread"))
    }

    @Test func withoutUnknownMachineIsAnError() throws {
        let result = try FlotillaBinary.run(["plan", "web.yaml", "--machines", "machines.yaml", "--without", "m9"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--without names unknown machine m9"))
    }

    @Test func invalidSpecWritesNothingAndExitsOne() throws {
        let result = try FlotillaBinary.run(["plan", "broken.yaml", "--machines", "machines.yaml"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("broken.yaml:3:5: error:"))
        #expect(result.stdout.isEmpty)
    }
}
