[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Each cluster is several .NET processes on a 2-core machine, and the mounts are global state of the host:
// test classes run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
