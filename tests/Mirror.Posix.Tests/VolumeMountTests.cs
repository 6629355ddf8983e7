using Mirror.Client.Files;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>`mirrord mount --volume NAME`: the volume's root is the mount, statfs shows its quota, writes past it fail ENOSPC.</summary>
public sealed class VolumeMountTests(ClusterOnly fixture) : IClassFixture<ClusterOnly>
{
    private const int ENOSPC = 28;
    private const int M = 1024 * 1024;

    [Fact]
    public async Task A_volume_mount_shows_its_capacity_and_refuses_writes_past_it_with_ENOSPC()
    {
        var name = $"vol-{Guid.NewGuid().ToString("N")[..8]}";
        await using (var client = await MirrorClient.ConnectAsync(fixture.Cluster.MdsAddress, fixture.Cluster.Token))
        {
            await client.Mds.CreateVolumeAsync(name, 8UL * M);
        }

        await using var mount = await MountProcess.StartAsync(fixture.Cluster, null, "--volume", name);
        Assert.Equal($"/volumes/{name}", mount.Source().Path);

        var df = await Programs.OkAsync(Programs.RunAsync("stat", "-f", "-c", "%S %b", mount.Mountpoint), "stat -f");
        var fields = df.Trim().Split(' ').Select(long.Parse).ToArray();
        Assert.Equal(8L * M, fields[0] * fields[1]);

        var fd = Libc.Open(mount["big"], Libc.OCreat | Libc.OWronly, 0x1A4);
        Assert.True(fd >= 0, $"create: errno {Libc.Errno(fd)}");
        var chunk = new byte[M];
        var written = 0;
        var errno = 0;
        try
        {
            for (var i = 0; i < 16 && errno == 0; i++)
            {
                var n = Libc.Write(fd, chunk, chunk.Length);
                errno = Libc.Errno((long)n);
                written += n > 0 ? (int)n : 0;
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }

        Assert.Equal(ENOSPC, errno);
        Assert.True(written is >= 7 * M and <= 8 * M, $"{written} bytes written before ENOSPC");
    }
}
