using System.Globalization;

namespace Mirror.Bench.Fio.Peers;

/// <summary>
/// Test hosts for peer daemons that refuse loopback: one network namespace per host, each with a veth
/// pair onto a bridge in the root namespace, which holds the client side (address .254). Names carry a
/// per-run tag so concurrent runs do not collide; <see cref="DisposeAsync"/> deletes all of it.
/// </summary>
internal sealed class NetnsHosts : IAsyncDisposable
{
    private readonly string tag;
    private readonly string subnet;
    private readonly List<string> namespaces = [];
    private readonly List<string> links = [];

    /// <param name="subnet">The first three octets, e.g. "10.213.7".</param>
    public NetnsHosts(string prefix, string subnet)
    {
        tag = prefix + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture);
        this.subnet = subnet;
        Bridge = tag + "b";
    }

    public string Bridge { get; }

    public string ClientAddress => $"{subnet}.254";

    public async Task CreateBridgeAsync(CancellationToken ct)
    {
        if (!Shell.Exists("ip"))
        {
            throw new Targets.TargetUnavailableException("ip (iproute2) not installed");
        }

        await Ip(ct, "link", "add", Bridge, "type", "bridge");
        links.Add(Bridge);
        await Ip(ct, "addr", "add", $"{ClientAddress}/24", "dev", Bridge);
        await Ip(ct, "link", "set", Bridge, "up");
    }

    /// <summary>Adds host number <paramref name="n"/> (address SUBNET.n) and returns its namespace name.</summary>
    public async Task<(string Netns, string Address)> AddHostAsync(string name, int n, CancellationToken ct)
    {
        var netns = $"{tag}-{name}";
        var veth = $"{tag}{name}";
        if (veth.Length > 15)
        {
            throw new ArgumentException($"interface name {veth} is longer than 15 characters", nameof(name));
        }

        await Ip(ct, "netns", "add", netns);
        namespaces.Add(netns);
        await Ip(ct, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns);
        links.Add(veth);
        await Ip(ct, "link", "set", veth, "master", Bridge, "up");
        var address = $"{subnet}.{n}";
        await Ip(ct, "-n", netns, "addr", "add", $"{address}/24", "dev", "eth0");
        await Ip(ct, "-n", netns, "link", "set", "eth0", "up");
        await Ip(ct, "-n", netns, "link", "set", "lo", "up");
        return (netns, address);
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting a namespace removes its end of the veth pair and with it the root end.
        foreach (var ns in namespaces)
        {
            await Shell.TryRunAsync("ip", ["netns", "del", ns], CancellationToken.None);
        }

        foreach (var link in links.AsEnumerable().Reverse())
        {
            await Shell.TryRunAsync("ip", ["link", "del", link], CancellationToken.None);
        }
    }

    private static Task<string> Ip(CancellationToken ct, params string[] args) => Shell.RunAsync("ip", args, ct);
}
