using Mirror.Client.Files;
using Mirror.Cluster.Tests.Harness;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Core.Layouts;
using static Mirror.Cluster.Tests.Iwm.IwmSupport;

namespace Mirror.Cluster.Tests.Iwm;

/// <summary>
/// IWM write scenarios against real mirrord processes (one MDS, four OSTs) that leave every process
/// running, so they share one cluster; each uses its own file. Client fault points are process-wide: the
/// assembly runs tests one at a time, and every test disarms what it armed.
/// </summary>
public sealed class IwmWriteScenarioTests(IwmClusterFixture fixture) : IClassFixture<IwmClusterFixture>
{
    private IwmCluster Cluster => fixture.Cluster;

    /// <summary>IWM §2.1 example: write 1 fails on mirror 1, write 2 on mirror 2; mirror 3 (the primary) stays clean.</summary>
    [Fact]
    public async Task Example_of_section_2_1_two_failed_secondaries_end_stale_and_the_clean_mirror_keeps_the_data()
    {
        await using var client = await Cluster.ConnectAsync();
        var writes = new[] { Data(M + 17, 1), Data(M, 2), Data(300_000, 3) };
        var expected = writes.SelectMany(w => w).ToArray();
        const string path = "/example-2-1";
        await using (var file = await client.CreateAsync(path, ThreeImmediate(prefer: 3), exclusive: true))
        {
            ulong offset = 0;
            for (var i = 0; i < writes.Length; i++)
            {
                var point = i < 2 ? $"client.ost.write.mirror{i + 1}" : null;
                if (point is not null)
                {
                    FaultPoints.Set(point, new FaultSpec(FaultAction.Fail));
                }

                try
                {
                    // Neither the write nor the fsync that completes it may report the secondary's failure (§2.3.3.1).
                    await file.WriteAsync(offset, writes[i]);
                    await file.FsyncAsync();
                }
                finally
                {
                    if (point is not null)
                    {
                        FaultPoints.Clear(point);
                    }
                }

                offset += (ulong)writes[i].Length;
            }
        }

        var closed = await Cluster.WaitForCloseAsync(client, path);

        Assert.True(closed.Mirror(1)!.IsStale && closed.Mirror(2)!.IsStale, IwmCluster.Describe(closed));
        Assert.True(closed.Mirror(3)!.IsReadable, IwmCluster.Describe(closed));
        Assert.Contains("stale", await CliFlagsAsync(Cluster, path, 1));

        // §3.1: the changelog names the failed stripes of each staled mirror (single-stripe mirrors: all of 1).
        var changelog = await Cluster.Cluster.RunCtlAsync("changelog");
        Assert.True(changelog.Exit == 0, changelog.ToString());
        var records = changelog.Stdout.Split('\n').Where(l => l.Contains(" MIRROR_STALE ", StringComparison.Ordinal) && l.Contains(" example-2-1 ", StringComparison.Ordinal)).ToList();
        Assert.True(records.Any(l => l.Contains("failed_stripes=1:all/1", StringComparison.Ordinal)), changelog.Stdout);
        Assert.True(records.Any(l => l.Contains("failed_stripes=2:all/1", StringComparison.Ordinal) || l.Contains("failed_stripes=1:all/1;2:all/1", StringComparison.Ordinal)), changelog.Stdout);
        Assert.DoesNotContain("inflight", await CliFlagsAsync(Cluster, path, 3));
        Assert.Equal(expected, await ReadAllAsync(client, path));
        await ResyncAndVerifyAllAsync(Cluster, client, path);
        Assert.Equal(expected, await ReadAllAsync(client, path));
    }

    /// <summary>IWM §2.4.4: the primary's OST fails every write; the IO restarts under a clean primary.</summary>
    [Fact]
    public async Task A_failing_primary_OST_restarts_the_IO_and_the_next_epoch_leads_with_a_clean_mirror()
    {
        await using var client = await Cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(4)));
        const string path = "/primary-fails";
        var data = Data(2 * M + 9, 4);
        await using (var file = await client.CreateAsync(path, ThreeImmediate(), exclusive: true))
        {
            await Cluster.SetOstFaultAsync(0, "ost.write", "fail");
            try
            {
                await file.WriteAsync(0, data);
                await file.FsyncAsync();
            }
            finally
            {
                await Cluster.SetOstFaultAsync(0, "ost.write", "off");
            }

            // Still inside the writer's (restarted) epoch: mirror 2 leads, mirror 3 is INFLIGHT, mirror 1 is out.
            var during = (await client.GetLayoutAsync(path)).Layout;
            Assert.True(during.Mirror(1)!.IsStale, IwmCluster.Describe(during));
            Assert.Equal((ushort)2, during.PrimaryMirror()!.Id);
            Assert.True(during.Mirror(3)!.IsInflight, IwmCluster.Describe(during));
            Assert.Equal(data, await ReadAllAsync(client, path)); // acknowledged data is on the new primary
        }

        var closed = await Cluster.WaitForCloseAsync(client, path);

        Assert.True(closed.Mirror(1)!.IsStale && closed.Mirror(2)!.IsReadable && closed.Mirror(3)!.IsReadable, IwmCluster.Describe(closed));
        await VerifyPassesAsync(Cluster, path, 2, 3);
        Assert.Equal(data, await ReadAllAsync(client, path));
        await ResyncAndVerifyAllAsync(Cluster, client, path);
    }

    /// <summary>IWM §2.1/§2.4.4: when every mirror fails the application gets EIO and the file ends all-STALE.</summary>
    [Fact]
    public async Task When_every_mirror_fails_the_application_gets_EIO_and_every_mirror_ends_stale()
    {
        await using var client = await Cluster.ConnectAsync();
        const string path = "/all-fail";
        await using (var setup = await client.CreateAsync(path, ThreeImmediate(), exclusive: true))
        {
        }

        var points = new[] { "client.ost.write.mirror1", "client.ost.write.mirror2", "client.ost.write.mirror3" };
        MirrorException? seen = null;
        foreach (var point in points)
        {
            FaultPoints.Set(point, new FaultSpec(FaultAction.Fail));
        }

        try
        {
            var file = await client.OpenAsync(path);
            try
            {
                await file.WriteAsync(0, Data(100_000, 5));
                await file.FsyncAsync();
            }
            catch (MirrorException e)
            {
                seen = e;
            }

            try
            {
                await file.CloseAsync();
            }
            catch (MirrorException e)
            {
                seen ??= e;
            }
        }
        finally
        {
            foreach (var point in points)
            {
                FaultPoints.Clear(point);
            }
        }

        Assert.NotNull(seen);
        Assert.Equal(Errno.EIO, seen.Errno);
        var closed = await Cluster.WaitForCloseAsync(client, path);
        Assert.True(closed.Mirrors.All(m => m.IsStale), IwmCluster.Describe(closed));
        Assert.Equal(FlrState.WritePending, closed.State);
    }

    /// <summary>Heterogeneous geometry: 2 stripes × 1 MiB on flash and 1 stripe × 4 MiB on archive, both IMMEDIATE.</summary>
    [Fact]
    public async Task Mirrors_of_different_geometry_are_identical_after_the_epoch_closes()
    {
        const string path = "/hetero";
        var create = await Cluster.Cluster.RunCtlAsync("mirror", "create", "-N", "-c", "2", "-S", "1M", "-p", "flash", "--flags=immediate", "-N", "-c", "1", "-S", "4M", "-p", "archive", "--flags=immediate", path);
        Assert.True(create.Exit == 0, $"mirror create: {create}");
        await using var client = await Cluster.ConnectAsync();
        var data = Data(9 * M + 12345, 6);
        await using (var file = await client.OpenAsync(path))
        {
            Assert.True(file.UsesImmediate);
            for (var off = 0; off < data.Length; off += 3 * M / 2)
            {
                await file.WriteAsync((ulong)off, data.AsMemory(off, Math.Min(3 * M / 2, data.Length - off)));
            }
        }

        var closed = await Cluster.WaitForCloseAsync(client, path);

        Assert.Equal(FlrState.ReadOnly, closed.State);
        Assert.True(closed.Mirrors.All(m => m.IsReadable), IwmCluster.Describe(closed));
        Assert.Equal(2u, closed.Mirror(1)!.Components.Single().StripeCount);
        Assert.Equal(4u * (uint)M, closed.Mirror(2)!.Components.Single().StripeSize);
        await VerifyPassesAsync(Cluster, path);
        Assert.Equal(data, await ReadAllAsync(client, path));
    }

    /// <summary>IWM §2.3.2.1: truncate, punch and fallocate go to every mirror under the epoch.</summary>
    [Fact]
    public async Task Truncate_punch_and_fallocate_under_an_epoch_leave_the_mirrors_identical()
    {
        await using var client = await Cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(3)));
        const string path = "/ops";
        var model = Data(3 * M, 7);
        await using (var file = await client.CreateAsync(path, Spec((2, 256 * 1024, [0, 1], "", MirrorFlags.Immediate), (1, (uint)M, [2], "", MirrorFlags.Immediate)), exclusive: true))
        {
            await file.WriteAsync(0, model);
            await file.FsyncAsync();
            Assert.NotEmpty((await Cluster.ListEpochsAsync()).Epochs); // the modifications below run in this epoch

            await file.TruncateAsync(2 * M + 4000);
            model = model[..(2 * M + 4000)];
            await file.PunchAsync(M / 2, 300_000);
            Array.Clear(model, M / 2, 300_000);
            await file.FallocateAsync(M, 2 * M);
            await file.FsyncAsync();
        }

        var closed = await Cluster.WaitForCloseAsync(client, path);

        Assert.True(closed.Mirrors.All(m => m.IsReadable), IwmCluster.Describe(closed));
        await VerifyPassesAsync(Cluster, path);
        Assert.Equal(model, await ReadAllAsync(client, path));
    }

    /// <summary>IWM §2.4.6, invariant 6: a write from a client that is not IWM-aware folds the open epoch up.</summary>
    [Fact]
    public async Task A_write_from_an_old_client_folds_the_epoch_up_and_the_next_IWM_write_opens_a_new_one()
    {
        await using var iwm = await Cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(5)));
        await using var old = await Cluster.ConnectAsync(IwmCluster.ClientOptions(iwmAware: false));
        const string path = "/fold-up";
        var first = Data(M, 8);
        var second = Data(100_000, 9);
        await using var writer = await iwm.CreateAsync(path, ThreeImmediate(), exclusive: true);
        await writer.WriteAsync(0, first);
        await writer.FsyncAsync();
        var open = Assert.Single((await Cluster.ListEpochsAsync()).Epochs);

        await using (var oldFile = await old.OpenAsync(path))
        {
            Assert.False(oldFile.UsesImmediate);
            await oldFile.WriteAsync((ulong)first.Length, second);
        }

        var folded = await Cluster.WaitForCloseAsync(old, path);
        Assert.True(folded.Mirror(1)!.IsReadable, IwmCluster.Describe(folded));
        Assert.True(folded.Mirror(2)!.IsStale && folded.Mirror(3)!.IsStale, IwmCluster.Describe(folded));
        byte[] both = [.. first, .. second];
        Assert.Equal(both, await ReadAllAsync(iwm, path));

        await ResyncAndVerifyAllAsync(Cluster, iwm, path);
        await writer.WriteAsync(0, second);
        await writer.FsyncAsync();
        var reopened = Assert.Single((await Cluster.ListEpochsAsync()).Epochs);
        Assert.NotEqual(open.EpochId, reopened.EpochId);
        var layout = (await iwm.GetLayoutAsync(path)).Layout;
        Assert.True(layout.Mirror(2)!.IsInflight && layout.Mirror(3)!.IsInflight, IwmCluster.Describe(layout));
        await writer.CloseAsync();
        await Cluster.WaitForCloseAsync(iwm, path);
        await VerifyPassesAsync(Cluster, path);
    }

    /// <summary>IWM §2.4.5/§2.4.6: a resync during a writer's epoch closes the epoch first; the writer keeps going.</summary>
    [Fact]
    public async Task A_resync_racing_a_writer_closes_the_epoch_first_and_a_final_resync_leaves_the_mirrors_identical()
    {
        await using var writerClient = await Cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(5)));
        await using var admin = await Cluster.ConnectAsync();
        const string path = "/resync-race";
        var model = Data(4 * M, 10);
        await using var file = await writerClient.CreateAsync(path, ThreeImmediate(), exclusive: true);

        // Mirror 3 misses the first write, so the resync below has something to do.
        FaultPoints.Set("client.ost.write.mirror3", new FaultSpec(FaultAction.Fail));
        try
        {
            await file.WriteAsync(0, model.AsMemory(0, M));
            await file.FsyncAsync();
        }
        finally
        {
            FaultPoints.Clear("client.ost.write.mirror3");
        }

        await Cluster.WaitForCloseAsync(admin, path);
        await file.WriteAsync((ulong)M, model.AsMemory(M, M));
        await file.FsyncAsync();
        var epoch = Assert.Single((await Cluster.ListEpochsAsync()).Epochs);

        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            var round = 0;
            do
            {
                var off = (2 + (round++ % 2)) * M;
                await file.WriteAsync((ulong)off, model.AsMemory(off, M));
                await file.FsyncAsync();
            }
            while (!stop.IsCancellationRequested);

            return round;
        });
        // The resync forces the epoch closed before it copies; if the writer's next epoch opened while it
        // copied, the MDS refuses ResyncDone (ESTALE, flr-overview "resync") and mirror 3 stays STALE.
        try
        {
            var resync = await admin.ResyncAsync(path);
            Assert.Contains((ushort)3, resync.Synced);
        }
        catch (MirrorException e) when (e.Errno == Errno.ESTALE)
        {
        }

        Assert.DoesNotContain((await Cluster.ListEpochsAsync()).Epochs, e => e.EpochId == epoch.EpochId);
        stop.Cancel();
        var rounds = await writes; // the writer saw no error

        Assert.True(rounds > 0);
        await file.CloseAsync();
        await Cluster.WaitForCloseAsync(admin, path);
        var final = await Cluster.Cluster.RunCtlAsync("mirror", "resync", path);
        Assert.True(final.Exit == 0, $"final resync: {final}");
        var layout = (await admin.GetLayoutAsync(path)).Layout;
        Assert.True(layout.Mirrors.All(m => m.IsReadable), IwmCluster.Describe(layout));
        await VerifyPassesAsync(Cluster, path);
        Assert.Equal(model, await ReadAllAsync(admin, path));
    }
}
