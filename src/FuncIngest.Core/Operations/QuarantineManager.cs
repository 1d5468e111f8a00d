using System.Globalization;
using System.Text;
using Databend.Client;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Operations;

/// <summary>
/// Lists and releases the files the loader quarantined (<see cref="StageLayout.QuarantinePrefix"/>).
/// Shared by <c>funcingest quarantine</c> and, through Core, by any host.
/// </summary>
/// <remarks>
/// <para>Release moves a file back to its staged name and lets the normal loader load it: the
/// ledger decides, so a file whose offsets were loaded meanwhile, or one released twice, loads
/// nothing twice. The staged copy is committed before the quarantined one is deleted, so the
/// stager's coverage (staged and quarantined files) never has a gap in which a redelivered
/// batch could stage the same offsets again.</para>
/// <para>Two things the ledger alone does not settle, handled here:</para>
/// <list type="bullet">
/// <item>A file quarantined after too many refused lines has those lines in the dead-letter
/// area too. A dead letter owns its offset (replay decides about it), so release leaves those
/// lines out of the staged copy; otherwise the record would be in the table and a dead letter.</item>
/// <item>The ledger is a high-water mark: when later files of the partition loaded after the
/// quarantine, its next offset is past the file and the loader would skip and delete the
/// released file, losing its rows. Such a file is loaded through the refill area instead
/// (<see cref="RefillArea"/>: its own ledger key, exactly once), and leaves the quarantine only
/// once that load committed.</item>
/// </list>
/// <para>Release holds the table's loader lease: no load pass runs while files move, and a
/// release while a loader holds the lease is refused before anything changes.</para>
/// </remarks>
public sealed class QuarantineManager
{
    private readonly IStageStore _store;
    private readonly StagingOptions _staging;
    private readonly TableLoader _loader;
    private readonly RefillArea _refill;
    private readonly StageLayout _layout;

    /// <summary>Creates a manager over a table's stage.</summary>
    /// <param name="clientFactory">Makes a Databend session (the ledger, loads below the ledger).</param>
    /// <param name="store">The stage.</param>
    /// <param name="staging">The staging options (table, prefix, compression).</param>
    /// <param name="loader">The loader options (ledger, stage name).</param>
    public QuarantineManager(Func<DatabendClient> clientFactory, IStageStore store, StagingOptions staging, LoaderOptions loader)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(loader);
        _store = store;
        _staging = staging;
        _loader = new TableLoader(clientFactory, store, staging, loader);
        _refill = new RefillArea(clientFactory, store, staging, loader);
        _layout = staging.Layout;
    }

    /// <summary>The quarantined files of the table, by topic, partition and offset.</summary>
    public async Task<IReadOnlyList<QuarantinedFile>> ListAsync(CancellationToken cancellationToken = default)
    {
        var files = new List<QuarantinedFile>();
        await foreach (StagedObject staged in _store.ListAsync($"{_layout.QuarantinePrefix}/{_layout.Table}/", cancellationToken).ConfigureAwait(false))
        {
            if (!StageFileName.TryParse(staged.Path, out StageFileName? name) || name.Prefix != _layout.QuarantinePrefix || name.Table != _layout.Table)
            {
                continue;
            }

            long lines = staged.Metadata.TryGetValue(StageMetadata.LineCount, out string? count)
                && long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : -1;
            string error = staged.Metadata.TryGetValue(StageMetadata.QuarantineError, out string? why) ? why : "(no reason recorded)";
            files.Add(new QuarantinedFile(name, lines, error, staged.LastModified, staged.Size));
        }

        return [.. files.OrderBy(f => f.Name.Topic, StringComparer.Ordinal).ThenBy(f => f.Name.Partition).ThenBy(f => f.Name.FirstOffset)];
    }

    /// <summary>Moves the selected quarantined files back to the staged area (see the remarks of <see cref="QuarantineManager"/>).</summary>
    /// <exception cref="OperationRefusedException">Nothing matches the selection, or the table's loader is running.</exception>
    public async Task<IReadOnlyList<ReleasedFile>> ReleaseAsync(QuarantineSelection selection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        List<QuarantinedFile> chosen = [.. (await ListAsync(cancellationToken).ConfigureAwait(false)).Where(selection.Matches)];
        if (chosen.Count == 0)
        {
            throw new OperationRefusedException($"no quarantined file of table {_layout.Table} matches {selection}; `funcingest quarantine list` shows them", isUsageError: true);
        }

        if (selection.File is not null && chosen.Count > 1)
        {
            throw new OperationRefusedException($"{chosen.Count} quarantined files match {selection}; give the full path", isUsageError: true);
        }

        IStageLock lease = await _loader.TryLeaseAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new OperationRefusedException($"the loader of table {_layout.Table} holds its lease (a load pass is running); nothing was released, try again when it is done", isUsageError: false);

        var released = new List<ReleasedFile>();
        await using (lease.ConfigureAwait(false))
        {
            Dictionary<(string Topic, int Partition), long> ledger = await _loader.ReadNextOffsetsAsync(cancellationToken).ConfigureAwait(false);
            var deadLetters = new Dictionary<(string, int), OffsetRanges>();
            var refills = new List<(QuarantinedFile File, StageFileName Unit, int Lines, int Dropped)>();
            foreach (QuarantinedFile file in chosen)
            {
                await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
                (string, int) key = (file.Name.Topic, file.Name.Partition);
                if (!deadLetters.TryGetValue(key, out OffsetRanges? dead))
                {
                    deadLetters[key] = dead = await DeadLetterOffsetsAsync(file.Name.Topic, file.Name.Partition, cancellationToken).ConfigureAwait(false);
                }

                if (file.Name.FirstOffset < ledger.GetValueOrDefault(key, 0))
                {
                    (StageFileName? unit, int lines, int dropped) = await StageRefillAsync(file, dead, cancellationToken).ConfigureAwait(false);
                    if (unit is null)
                    {
                        await _store.DeleteAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
                        released.Add(new ReleasedFile(file, ReleaseOutcome.RemovedAllDeadLettered, 0, $"{dropped} of {dropped} offsets are dead letters"));
                    }
                    else
                    {
                        refills.Add((file, unit, lines, dropped));
                    }

                    continue;
                }

                released.Add(await ReleaseOneAsync(file, dead, cancellationToken).ConfigureAwait(false));
            }

            if (refills.Count > 0)
            {
                await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
                await FinishRefillsAsync(refills, released, cancellationToken).ConfigureAwait(false);
            }
        }

        return released;
    }

    /// <summary>Stages a file behind the ledger as a refill unit, without its dead-lettered offsets; null when nothing is left.</summary>
    private async Task<(StageFileName? Unit, int Lines, int Dropped)> StageRefillAsync(QuarantinedFile file, OffsetRanges dead, CancellationToken cancellationToken)
    {
        StagedObject quarantined = await FindAsync(file.Name.Path, cancellationToken).ConfigureAwait(false)
            ?? throw new OperationRefusedException($"quarantined file {file.Name.Path} disappeared while releasing; run the release again", isUsageError: false);
        StageFileName staged = _layout.File(file.Name.Topic, file.Name.Partition, file.Name.FirstOffset, file.Name.LastOffset, file.Name.Compression);
        var asStaged = new StagedObject(staged.Path, quarantined.Size, quarantined.Metadata, quarantined.LastModified);
        long[] offsets = [.. StageFiles.Offsets(await StageFiles.ReadCheckedLineOffsetsAsync(_store, staged, asStaged, cancellationToken).ConfigureAwait(false))];
        var lines = new List<(long Offset, byte[] Line)>();
        Stream source = StageFiles.Decompress(await _store.OpenReadAsync(file.Name.Path, cancellationToken).ConfigureAwait(false), file.Name.Compression);
        await using (source.ConfigureAwait(false))
        {
            using var reader = new StreamReader(source, Encoding.UTF8);
            foreach (long offset in offsets)
            {
                string line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"{file.Name.Path} has fewer lines than its offsets metadata lists; it was left in the quarantine");
                if (!dead.Contains(offset))
                {
                    lines.Add((offset, Encoding.UTF8.GetBytes(line + "\n")));
                }
            }
        }

        int dropped = offsets.Length - lines.Count;
        if (lines.Count == 0)
        {
            return (null, 0, dropped);
        }

        return (await _refill.StageUnitAsync(RefillArea.QuarantineUnit(file.Name.Topic, file.Name.FirstOffset), file.Name.Partition, lines, cancellationToken).ConfigureAwait(false), lines.Count, dropped);
    }

    /// <summary>Loads the staged refill units; a file leaves the quarantine only once its unit's load committed.</summary>
    private async Task FinishRefillsAsync(List<(QuarantinedFile File, StageFileName Unit, int Lines, int Dropped)> refills, List<ReleasedFile> released, CancellationToken cancellationToken)
    {
        LoadResult load = await _refill.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (load.Busy)
        {
            throw new OperationRefusedException($"another release or replay of table {_layout.Table} is loading below the ledger; nothing was removed from the quarantine, try again", isUsageError: false);
        }

        var done = load.Loaded.Concat(load.Skipped).Select(n => n.Path).ToHashSet(StringComparer.Ordinal);
        foreach ((QuarantinedFile file, StageFileName unit, int lines, int dropped) in refills)
        {
            if (done.Contains(unit.Path))
            {
                int refused = await _refill.MoveUnitDeadLettersAsync(unit.Topic, file.Name.Topic, file.Name.Partition, cancellationToken).ConfigureAwait(false);
                await _store.DeleteAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
                string? detail = dropped + refused == 0 ? null : $"{dropped} offsets were already dead letters, {refused} lines refused now and dead-lettered";
                released.Add(new ReleasedFile(file, ReleaseOutcome.Refilled, lines - refused, detail));
                continue;
            }

            string why = load.Quarantined.FirstOrDefault(q => q.File.Path == unit.Path).Error ?? "it was not loaded";
            // The refill loader keeps its own quarantined copy; the original stays where operators look.
            StageFileName copy = new(_refill.Layout.QuarantinePrefix, unit.Table, unit.Topic, unit.Partition, unit.FirstOffset, unit.LastOffset, unit.Compression);
            await _store.DeleteAsync(copy.Path, cancellationToken).ConfigureAwait(false);
            released.Add(new ReleasedFile(file, ReleaseOutcome.KeptFailedAgain, 0, why));
        }
    }

    private async Task<ReleasedFile> ReleaseOneAsync(QuarantinedFile file, OffsetRanges dead, CancellationToken cancellationToken)
    {
        StagedObject quarantined = await FindAsync(file.Name.Path, cancellationToken).ConfigureAwait(false)
            ?? throw new OperationRefusedException($"quarantined file {file.Name.Path} disappeared while releasing; run the release again", isUsageError: false);
        StageFileName target = _layout.File(file.Name.Topic, file.Name.Partition, file.Name.FirstOffset, file.Name.LastOffset, file.Name.Compression);

        // The loader quarantines the file but not its offsets sidecar, which stays next to the staged name.
        var asStaged = new StagedObject(target.Path, quarantined.Size, quarantined.Metadata, quarantined.LastModified);
        OffsetRanges lineOffsets = await StageFiles.ReadCheckedLineOffsetsAsync(_store, target, asStaged, cancellationToken).ConfigureAwait(false);
        long[] offsets = [.. StageFiles.Offsets(lineOffsets)];
        bool[] keep = [.. offsets.Select(o => !dead.Contains(o))];
        int kept = keep.Count(k => k);

        var metadata = new Dictionary<string, string>(quarantined.Metadata, StringComparer.OrdinalIgnoreCase);
        metadata.Remove(StageMetadata.QuarantineError);
        ReleaseOutcome outcome = ReleaseOutcome.Released;
        if (kept == 0)
        {
            outcome = ReleaseOutcome.RemovedAllDeadLettered;
        }
        else if (kept < offsets.Length)
        {
            outcome = ReleaseOutcome.ReleasedWithoutDeadLetters;
            var keptRanges = new OffsetRanges();
            foreach (long o in offsets.Where((_, i) => keep[i]))
            {
                keptRanges.Add(o);
            }

            metadata[StageMetadata.LineCount] = kept.ToString(CultureInfo.InvariantCulture);
            metadata[StageMetadata.LineOffsets] = await InlineOrSidecarAsync(target.Path, keptRanges, cancellationToken).ConfigureAwait(false);
        }

        if (kept > 0)
        {
            IStageUpload upload = await _store.StartUploadAsync(target.Path, cancellationToken).ConfigureAwait(false);
            await using (upload.ConfigureAwait(false))
            {
                Stream source = await _store.OpenReadAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    if (outcome == ReleaseOutcome.Released)
                    {
                        await source.CopyToAsync(upload.Content, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await CopyKeptLinesAsync(source, file.Name, keep, upload.Content, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (!await upload.CommitAsync(metadata, cancellationToken).ConfigureAwait(false))
                {
                    // Already staged under that name: an earlier release that stopped before
                    // deleting the quarantined copy, or a file staged since. Only a file that
                    // counts as staged may stand in for this one.
                    StagedObject? existing = await FindAsync(target.Path, cancellationToken).ConfigureAwait(false);
                    if (existing is null || StageFiles.Disagreement(target, existing) is not null)
                    {
                        throw new OperationRefusedException($"{target.Path} exists but is not a staged file of these offsets; {file.Name.Path} was left in the quarantine", isUsageError: false);
                    }
                }
            }
        }

        await _store.DeleteAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
        return new ReleasedFile(file, outcome, kept, outcome == ReleaseOutcome.Released ? null : $"{offsets.Length - kept} of {offsets.Length} offsets are dead letters");
    }

    private async Task CopyKeptLinesAsync(Stream source, StageFileName name, bool[] keep, Stream destination, CancellationToken cancellationToken)
    {
        Stream input = StageFiles.Decompress(source, name.Compression);
        Stream output = StageFiles.Compress(destination, name.Compression, _staging.ZstdLevel);
        try
        {
            using var reader = new StreamReader(input, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            for (int i = 0; i < keep.Length; i++)
            {
                string line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"{name.Path} has fewer lines than its offsets metadata lists; it was left in the quarantine");
                if (keep[i])
                {
                    await output.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(output, destination))
            {
                await output.DisposeAsync().ConfigureAwait(false);
            }

            if (!ReferenceEquals(input, source))
            {
                await input.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<OffsetRanges> DeadLetterOffsetsAsync(string topic, int partition, CancellationToken cancellationToken)
    {
        // Replayed dead letters still own their offsets: their records are in the table already.
        var dead = new OffsetRanges();
        await foreach (StagedObject letter in Concat(
            _store.ListAsync(_layout.DeadLetterFolder(topic, partition), cancellationToken),
            _store.ListAsync(_layout.DeadLetterReplayedFolder(topic, partition), cancellationToken)).ConfigureAwait(false))
        {
            if (StageFileName.TryParse(letter.Path, out StageFileName? name) && StageFiles.Disagreement(name, letter) is null)
            {
                foreach ((long first, long last) in (await StageFiles.ReadCheckedLineOffsetsAsync(_store, name, letter, cancellationToken).ConfigureAwait(false)).Ranges)
                {
                    dead.Add(first, last);
                }
            }
        }

        return dead;
    }

    private static async IAsyncEnumerable<StagedObject> Concat(IAsyncEnumerable<StagedObject> first, IAsyncEnumerable<StagedObject> second)
    {
        await foreach (StagedObject item in first.ConfigureAwait(false))
        {
            yield return item;
        }

        await foreach (StagedObject item in second.ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private async Task<StagedObject?> FindAsync(string path, CancellationToken cancellationToken)
    {
        await foreach (StagedObject staged in _store.ListAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(staged.Path, path, StringComparison.Ordinal))
            {
                return staged;
            }
        }

        return null;
    }

    private async Task<string> InlineOrSidecarAsync(string path, OffsetRanges offsets, CancellationToken cancellationToken)
    {
        string text = offsets.ToString();
        if (text.Length <= StageMetadata.MaxInlineOffsetsLength)
        {
            return text;
        }

        // A sidecar left by the original staging lists every line; this file has fewer.
        await _store.DeleteAsync(path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
        IStageUpload sidecar = await _store.StartUploadAsync(path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
        await using (sidecar.ConfigureAwait(false))
        {
            await sidecar.Content.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken).ConfigureAwait(false);
            await sidecar.CommitAsync(new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        }

        return StageMetadata.SidecarMarker;
    }
}
