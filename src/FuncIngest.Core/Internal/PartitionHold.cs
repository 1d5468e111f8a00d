using FuncIngest.Staging;

namespace FuncIngest.Internal;

/// <summary>
/// A partition's stage lock kept between batches by the process that owns the partition, with
/// the partition's coverage (staged, quarantined and dead-lettered offsets) in memory.
/// </summary>
/// <remarks>
/// The coverage stays right only while no other writer can have written to the partition, that
/// is while the lock was held without a gap. A lease renewal proves that: an expired lease can
/// be renewed only "as long as the blob or container has not been leased again since the
/// expiration of that lease" (Azure.Storage.Blobs BlobLeaseClient.RenewAsync reference,
/// learn.microsoft.com), and every writer of a partition takes its lease first.
/// Whenever a renewal fails, or a batch fails half way, the hold is dropped and the next batch
/// takes the lock and lists the coverage afresh. Offsets this process staged and that the loader
/// has since loaded and deleted stay covered here: they are staged, so skipping them is right.
/// </remarks>
internal sealed class PartitionHold : IAsyncDisposable
{
    /// <summary>
    /// Renew when the last confirmation is older than this. The shortest lock duration allowed
    /// is 15 s, so a batch started right before a renewal was due still has about 10 s of lease.
    /// </summary>
    internal static readonly TimeSpan RenewAfter = TimeSpan.FromSeconds(5);

    /// <summary>One batch at a time per partition.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The held lock, or null when none is held (the next batch takes it).</summary>
    public IStageLock? Lock { get; private set; }

    /// <summary>When the lock was last taken or renewed (the time the request was sent).</summary>
    public long ConfirmedAt { get; private set; }

    public OffsetRanges Files { get; private set; } = new();

    public OffsetRanges DeadLetters { get; private set; } = new();

    /// <summary>The partition is no longer owned: release the lock once the batch in hand is done.</summary>
    public bool Released { get; set; }

    public void Hold(IStageLock stageLock, long confirmedAt, OffsetRanges files, OffsetRanges deadLetters)
    {
        Lock = stageLock;
        ConfirmedAt = confirmedAt;
        Files = files;
        DeadLetters = deadLetters;
    }

    public void Confirmed(long at) => ConfirmedAt = at;

    /// <summary>Releases the lock (best effort) and forgets the coverage.</summary>
    public async Task DropAsync()
    {
        IStageLock? held = Lock;
        Lock = null;
        Files = new();
        DeadLetters = new();
        if (held is not null)
        {
            await held.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropAsync().ConfigureAwait(false);
        Gate.Dispose();
    }
}
