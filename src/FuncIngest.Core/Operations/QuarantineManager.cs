using System.Globalization;
using System.Text;
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
/// released file, losing its rows. Such a file is kept in the quarantine and reported
/// (<see cref="ReleaseOutcome.KeptBehindLedger"/>).</item>
/// </list>
/// <para>Release holds the table's loader lease: no load pass runs while files move, and a
/// release while a loader holds the lease is refused before anything changes.</para>
/// </remarks>
public sealed class QuarantineManager
{
    private readonly IStageStore _store;
    private readonly StagingOptions _staging;
    private readonly TableLoader _loader;
    private readonly StageLayout _layout;

    /// <summary>Creates a manager over a table's stage.</summary>
    /// <param name="store">The stage.</param>
    /// <param name="staging">The staging options (table, prefix, compression).</param>
    /// <param name="loader">The table's loader, for its ledger.</param>
    public QuarantineManager(IStageStore store, StagingOptions staging, TableLoader loader)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(loader);
        _store = store;
        _staging = staging;
        _loader = loader;
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

        IStageLock lease;
        try
        {
            lease = await _store.LockAsync(_layout.TableLoaderLock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new OperationRefusedException($"the loader of table {_layout.Table} holds its lease (a load pass is running); nothing was released, try again when it is done", isUsageError: false);
        }

        var released = new List<ReleasedFile>();
        await using (lease.ConfigureAwait(false))
        {
            Dictionary<(string, int), long> ledger = (await _loader.ReadLedgerAsync(cancellationToken).ConfigureAwait(false))
                .ToDictionary(e => (e.Topic, e.Partition), e => e.NextOffset);
            var deadLetters = new Dictionary<(string, int), OffsetRanges>();
            foreach (QuarantinedFile file in chosen)
            {
                await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
                (string, int) key = (file.Name.Topic, file.Name.Partition);
                long next = ledger.GetValueOrDefault(key, 0);
                if (file.Name.FirstOffset < next)
                {
                    released.Add(new ReleasedFile(file, ReleaseOutcome.KeptBehindLedger, 0,
                        $"the ledger of {file.Name.Topic}[{file.Name.Partition}] is at {next}, past offset {file.Name.FirstOffset}: the loader would skip this file"));
                    continue;
                }

                if (!deadLetters.TryGetValue(key, out OffsetRanges? dead))
                {
                    deadLetters[key] = dead = await DeadLetterOffsetsAsync(file.Name.Topic, file.Name.Partition, cancellationToken).ConfigureAwait(false);
                }

                released.Add(await ReleaseOneAsync(file, dead, cancellationToken).ConfigureAwait(false));
            }
        }

        return released;
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
        var dead = new OffsetRanges();
        await foreach (StagedObject letter in _store.ListAsync(_layout.DeadLetterFolder(topic, partition), cancellationToken).ConfigureAwait(false))
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
