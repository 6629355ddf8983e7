namespace Mirror.Ost.Tests;

/// <summary>
/// Tests that go through OstService or OstHost: fault points are process-wide, so these never run in
/// parallel with each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServiceCollection
{
    public const string Name = "OST services and fault points";
}
