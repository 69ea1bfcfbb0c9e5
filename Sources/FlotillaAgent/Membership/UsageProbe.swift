import Foundation
import FlotillaModel
#if canImport(Glibc)
import Glibc
#endif

/// Measures what this machine has and uses, from /proc and statvfs.
public struct UsageProbe: Sendable {
    /// Directory whose file system is reported as disk.
    public var directory: String
    private var lastCPU: (busy: Double, total: Double)?

    /// Creates a probe of `directory`'s file system.
    public init(directory: String) { self.directory = directory }

    /// What the machine has: all cores (millicores), memory and the state directory's disk.
    public static func capacity(directory: String) -> Resources {
        let cores = Int64(ProcessInfo.processInfo.activeProcessorCount)
        let memory = Int64(ProcessInfo.processInfo.physicalMemory)
        return Resources(cpu: cores * 1000, memory: memory, disk: disk(directory).total)
    }

    /// One reading; CPU busy share is measured since the previous reading (0 on the first).
    public mutating func read(unitsRunning: Int, now: Double) -> MachineUsage {
        let load = Self.firstNumber(Self.file("/proc/loadavg")) ?? 0
        let (memoryTotal, memoryAvailable) = Self.memory()
        let disk = Self.disk(directory)
        var busyShare = 0.0
        if let cpu = Self.cpuTimes() {
            if let last = lastCPU, cpu.total > last.total {
                busyShare = (cpu.busy - last.busy) / (cpu.total - last.total) * Double(ProcessInfo.processInfo.activeProcessorCount)
            }
            lastCPU = cpu
        }
        return MachineUsage(load1: load, cpuBusy: busyShare, memoryUsed: memoryTotal - memoryAvailable,
                            memoryTotal: memoryTotal, diskUsed: disk.total - disk.free, diskTotal: disk.total,
                            unitsRunning: unitsRunning, at: now)
    }

    private static func file(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    private static func firstNumber(_ text: String) -> Double? {
        text.split(separator: " ").first.flatMap { Double($0) }
    }

    private static func memory() -> (total: Int64, available: Int64) {
        var values: [String: Int64] = [:]
        for line in file("/proc/meminfo").split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kib = Int64(parts[1]) { values[String(parts[0].dropLast())] = kib * 1024 }
        }
        return (values["MemTotal"] ?? 0, values["MemAvailable"] ?? 0)
    }

    private static func cpuTimes() -> (busy: Double, total: Double)? {
        guard let line = file("/proc/stat").split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 4 else { return nil }
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
        let total = fields.reduce(0, +)
        return (total - idle, total)
    }

    private static func disk(_ directory: String) -> (total: Int64, free: Int64) {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return (0, 0) }
        let block = Int64(stats.f_frsize)
        return (Int64(stats.f_blocks) * block, Int64(stats.f_bavail) * block)
    }
}
