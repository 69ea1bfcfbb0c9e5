/// The keys Flotilla understands in each systemd section, and the systemd keys it accepts but
/// ignores (with a warning). Any other key is an error with a "did you mean" hint.
enum UnitFileKeys {
    /// Sections a unit file may have (besides `X-` extension sections, which are ignored).
    static let sections = ["Unit", "Service", "Timer", "Install", "X-Fleet"]

    /// `[Unit]` keys Flotilla uses.
    static let unitSupported = ["Description", "After"]

    private static let conditions = [
        "PathExists", "PathExistsGlob", "PathIsDirectory", "PathIsSymbolicLink", "PathIsMountPoint",
        "PathIsReadWrite", "PathIsEncrypted", "DirectoryNotEmpty", "FileNotEmpty", "FileIsExecutable",
        "KernelCommandLine", "KernelVersion", "Virtualization", "Host", "Architecture", "Firmware", "Security",
        "Capability", "ACPower", "NeedsUpdate", "FirstBoot", "User", "Group", "ControlGroupController",
        "Environment", "CPUs", "Memory", "CPUFeature", "OSRelease", "MemoryPressure", "CPUPressure", "IOPressure",
    ]

    /// `[Unit]` keys systemd knows that have no meaning in Flotilla.
    static let unitIgnored = [
        "Documentation", "Requires", "Wants", "Before", "BindsTo", "PartOf", "Requisite", "Conflicts", "Upholds",
        "OnFailure", "OnSuccess", "PropagatesReloadTo", "ReloadPropagatedFrom", "PropagatesStopTo", "StopPropagatedFrom",
        "JoinsNamespaceOf", "RequiresMountsFor", "OnFailureJobMode", "IgnoreOnIsolate", "StopWhenUnneeded",
        "RefuseManualStart", "RefuseManualStop", "AllowIsolate", "DefaultDependencies", "CollectMode", "FailureAction",
        "SuccessAction", "FailureActionExitStatus", "SuccessActionExitStatus", "StartLimitIntervalSec", "StartLimitInterval",
        "StartLimitBurst", "StartLimitAction", "RebootArgument", "JobTimeoutSec", "JobRunningTimeoutSec",
        "JobTimeoutAction", "JobTimeoutRebootArgument", "SourcePath",
    ] + conditions.map { "Condition" + $0 } + conditions.map { "Assert" + $0 }

    /// `[Service]` keys Flotilla uses.
    static let serviceSupported = [
        "Type", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop", "ExecStopPost", "Restart", "RestartSec",
        "TimeoutStartSec", "TimeoutStopSec", "TimeoutSec", "KillSignal", "Environment", "EnvironmentFile",
        "WorkingDirectory", "User", "Group", "RemainAfterExit", "MemoryMax", "MemoryLimit", "CPUQuota",
    ]

    private static let limits = ["CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NOFILE", "AS", "NPROC", "MEMLOCK",
                                 "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"]

    /// `[Service]` keys systemd knows that Flotilla does not implement.
    static let serviceIgnored = [
        "PIDFile", "BusName", "NotifyAccess", "Sockets", "GuessMainPID", "PermissionsStartOnly", "RootDirectoryStartOnly",
        "NonBlocking", "FileDescriptorStoreMax", "ExecReload", "ExecCondition", "RestartPreventExitStatus",
        "RestartForceExitStatus", "SuccessExitStatus", "WatchdogSec", "TimeoutAbortSec", "TimeoutStartFailureMode",
        "TimeoutStopFailureMode", "RuntimeMaxSec", "RuntimeRandomizedExtraSec", "RestartSteps", "RestartMaxDelaySec",
        "StartLimitInterval", "StartLimitIntervalSec", "StartLimitBurst", "StartLimitAction", "FailureAction",
        "Nice", "OOMScoreAdjust", "OOMPolicy", "ExitType", "IOSchedulingClass", "IOSchedulingPriority",
        "CPUSchedulingPolicy", "CPUSchedulingPriority", "CPUSchedulingResetOnFork", "CPUAffinity", "UMask",
        "StandardInput", "StandardOutput", "StandardError", "SyslogIdentifier", "SyslogFacility", "SyslogLevel",
        "SyslogLevelPrefix", "LogLevelMax", "LogExtraFields", "TTYPath", "TTYReset", "TTYVHangup", "TTYVTDisallocate",
        "PrivateTmp", "PrivateDevices", "PrivateNetwork", "PrivateUsers", "ProtectSystem", "ProtectHome",
        "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
        "ProtectHostname", "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "SecureBits",
        "ReadOnlyPaths", "ReadWritePaths", "InaccessiblePaths", "ReadOnlyDirectories", "ReadWriteDirectories",
        "InaccessibleDirectories", "BindPaths", "BindReadOnlyPaths", "SupplementaryGroups", "DynamicUser",
        "RuntimeDirectory", "RuntimeDirectoryMode", "RuntimeDirectoryPreserve", "StateDirectory", "CacheDirectory",
        "LogsDirectory", "ConfigurationDirectory", "RootDirectory", "RootImage", "MountFlags", "KillMode",
        "SendSIGKILL", "SendSIGHUP", "FinalKillSignal", "RestartKillSignal", "WatchdogSignal", "CPUShares",
        "StartupCPUShares", "CPUWeight", "StartupCPUWeight", "CPUQuotaPeriodSec", "MemoryLow", "MemoryMin",
        "MemoryHigh", "MemorySwapMax", "TasksMax", "IOWeight", "StartupIOWeight", "BlockIOWeight", "Delegate",
        "Slice", "CPUAccounting", "MemoryAccounting", "TasksAccounting", "IOAccounting", "BlockIOAccounting",
        "IPAccounting", "DeviceAllow", "DevicePolicy", "IgnoreSIGPIPE", "PassEnvironment", "UnsetEnvironment",
        "Personality", "LockPersonality", "MemoryDenyWriteExecute", "RestrictRealtime", "RestrictNamespaces",
        "RestrictSUIDSGID", "RestrictAddressFamilies", "SystemCallFilter", "SystemCallArchitectures",
        "SystemCallErrorNumber", "UtmpIdentifier", "UtmpMode", "KeyringMode", "LoadCredential", "SetCredential",
        "ExecSearchPath", "Sockets", "USBFunctionDescriptors", "USBFunctionStrings", "OpenFile", "ReloadSignal",
    ] + limits.map { "Limit" + $0 }

    /// `[Timer]` keys Flotilla uses.
    static let timerSupported = ["OnCalendar", "OnUnitActiveSec", "OnBootSec", "OnStartupSec", "Unit", "Persistent", "AccuracySec"]

    /// `[Timer]` keys systemd knows that Flotilla does not implement.
    static let timerIgnored = ["OnActiveSec", "OnUnitInactiveSec", "RandomizedDelaySec", "FixedRandomDelay",
                               "OnClockChange", "OnTimezoneChange", "WakeSystem", "RemainAfterElapse"]

    /// `[Install]` keys (all ignored; the section gets one warning).
    static let install = ["WantedBy", "RequiredBy", "UpheldBy", "Also", "Alias", "DefaultInstance"]
}
