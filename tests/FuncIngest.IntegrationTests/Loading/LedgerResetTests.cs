using Databend.Client;
using FuncIngest.Loading;
using FuncIngest.Operations;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.IntegrationTests.Loading;

/// <summary>
/// <see cref="LedgerManager.ResetAsync"/> racing a loader that runs without the lease (the
/// internal stage's lease is per process), interleaved statement by statement with the
/// emulator's hooks: the DELETE of the key's rows makes whichever commits second fail with 4001.
/// </summary>
public sealed class LedgerResetTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<int, long> s_ends = new() { [0] = 50 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_load_that_claimed_the_key_before_the_reset_committed_plans_again_from_the_new_offset()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        Assert.SkipWhen(bed.Target.Emulator is null, "emulator-only: interleaves the reset and a loader with the emulator's hooks");
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        await bed.NewLoader().LoadAllAsync(Ct);
        await bed.StageAsync("orders", 0, 10, 49, Ct);
        var leaseless = new LeaselessStageStore(bed.Store);
        // Between the loader's COPY and its ledger write, the reset moves the key forward to 30.
        bed.Emulator.InjectFault(new DatabendFault("^UPDATE .* SET next_offset", DatabendFaultKind.Hook)
        {
            BeforeExecute = () => Manager(bed, leaseless).ResetAsync(new LedgerReset("orders", 0, 30), s_ends, apply: true, Ct),
        });

        LoadResult load = await bed.NewLoader(leaseless).LoadAllAsync(Ct);

        // Its first commit failed (4001); planned again from 30, it loaded 30..49 only.
        Assert.True(load.Retries >= 1);
        Assert.Equal(LoaderBed.Expected((0, 0, 9), (0, 30, 49)), await bed.RowsAsync(Ct));
        LedgerPartition key = Assert.Single(await Manager(bed, bed.Store).ListAsync(cancellationToken: Ct));
        Assert.Equal((50L, 1), (key.NextOffset, key.Rows));
    }

    [Fact]
    public async Task A_reset_whose_key_a_load_committed_meanwhile_starts_again_and_reports_what_it_replaced()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        Assert.SkipWhen(bed.Target.Emulator is null, "emulator-only: interleaves the reset and a loader with the emulator's hooks");
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        await bed.NewLoader().LoadAllAsync(Ct);
        await bed.StageAsync("orders", 0, 10, 49, Ct);
        // A duplicate row: the reset must replace both.
        using (DatabendClient client = bed.Client())
        {
            await client.ExecuteAsync($"INSERT INTO {bed.Loader.LedgerTable} (target_table, topic, kpartition, next_offset, updated_at) VALUES ('{bed.Table}', 'orders', 0, 10, '2026-01-01 00:00:00')", Ct);
        }

        var leaseless = new LeaselessStageStore(bed.Store);
        LoadResult? load = null;
        // After the reset's DELETE, before its INSERT, a loader loads 10..49 and commits 50.
        bed.Emulator.InjectFault(new DatabendFault($"^INSERT INTO `{bed.Loader.LedgerTable}` .*, 5, ", DatabendFaultKind.Hook)
        {
            BeforeExecute = async () => load = await bed.NewLoader(leaseless).LoadAllAsync(Ct),
        });

        IReadOnlyList<LedgerResetChange> changes = await Manager(bed, leaseless).ResetAsync(new LedgerReset("orders", 0, 5), s_ends, apply: true, Ct);

        Assert.Equal(40, load!.RowsLoaded);
        LedgerResetChange change = Assert.Single(changes);
        Assert.Equal((50L, 5L), (change.Before, change.After));
        LedgerPartition key = Assert.Single(await Manager(bed, bed.Store).ListAsync(cancellationToken: Ct));
        Assert.Equal((5L, 1), (key.NextOffset, key.Rows));
        Assert.Equal(LoaderBed.Expected((0, 0, 49)), await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task A_first_row_a_loader_inserted_while_the_reset_ran_is_reported_not_hidden()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        Assert.SkipWhen(bed.Target.Emulator is null, "emulator-only: interleaves the reset and a loader with the emulator's hooks");
        await bed.StageAsync("orders", 0, 0, 49, Ct);
        var leaseless = new LeaselessStageStore(bed.Store);
        // The key has no row: the reset's DELETE claims nothing, so the loader's commit and the
        // reset's both land (appends merge) and the larger next offset counts.
        bed.Emulator.InjectFault(new DatabendFault($"^INSERT INTO `{bed.Loader.LedgerTable}` .*, 20, ", DatabendFaultKind.Hook)
        {
            BeforeExecute = () => bed.NewLoader(leaseless).LoadAllAsync(Ct),
        });

        OperationRefusedException e = await Assert.ThrowsAsync<OperationRefusedException>(
            () => Manager(bed, leaseless).ResetAsync(new LedgerReset("orders", 0, 20), s_ends, apply: true, Ct));

        Assert.Contains("a loader moved orders[0] to 50 while the reset ran", e.Message, StringComparison.Ordinal);
        Assert.Equal(LoaderBed.Expected((0, 0, 49)), await bed.RowsAsync(Ct));
    }

    private static LedgerManager Manager(LoaderBed bed, FuncIngest.Staging.IStageStore store) => new(bed.Client, store, bed.Staging, bed.Loader);
}
