using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Databend.Client;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Operations;

/// <summary>
/// Loads records into offsets the ledger has already passed (a quarantined file behind the
/// ledger, a dead letter), exactly once, by reusing <see cref="TableLoader"/> on a second stage
/// area and a second ledger.
/// </summary>
/// <remarks>
/// <para>The ledger is a high-water mark per partition: the loader skips any file below it. A
/// hole below it is filled through <c>{prefix}/_refill/</c> and the ledger
/// <c>{LedgerTable}_refill</c>, where every unit of work (one quarantined file, one dead-letter
/// record and attempt) is its own ledger key: its file is staged under a synthetic topic
/// segment (<c>{topic}.q{first:D20}</c>, <c>{topic}.d{offset:D20}.{attempt}</c>) and loaded by an
/// ordinary <see cref="TableLoader"/> whose compare-and-set ledger protocol makes a unit load
/// once however often it is staged and by however many processes. The lines keep their real
/// topic: the topic segment only names the ledger key.</para>
/// <para>Units never share an offset: a dead letter owns its offset, so a quarantined file's
/// unit leaves out offsets that are (or were) dead letters. A dead-letter attempt refused by
/// Databend leaves a dead letter in the refill area, which makes the next replay a new attempt
/// (a new key) rather than a skip.</para>
/// </remarks>
internal sealed class RefillArea
{
    private readonly Func<DatabendClient> _clientFactory;
    private readonly IStageStore _store;
    private readonly StagingOptions _staging;
    private readonly StagingOptions _refillStaging;
    private readonly LoaderOptions _refillLoader;

    public RefillArea(Func<DatabendClient> clientFactory, IStageStore store, StagingOptions staging, LoaderOptions loader)
    {
        _clientFactory = clientFactory;
        _store = store;
        _staging = staging;
        string prefix = staging.Layout.Prefix;
        _refillStaging = new StagingOptions
        {
            Table = staging.Table,
            Prefix = prefix.Length == 0 ? "_refill" : $"{prefix}/_refill",
            Compression = staging.Compression,
            ZstdLevel = staging.ZstdLevel,
            MaxFileRecords = staging.MaxFileRecords,
            MaxFileBytes = staging.MaxFileBytes,
            MaxParallelPartitions = staging.MaxParallelPartitions,
            Encoding = staging.Encoding,
        };
        _refillLoader = new LoaderOptions
        {
            StageName = loader.StageName,
            LedgerTable = loader.LedgerTable + "_refill",
            MaxFilesPerLoad = loader.MaxFilesPerLoad,
            MaxTransactionAttempts = loader.MaxTransactionAttempts,
            RetryDelay = loader.RetryDelay,
            MissingFieldAs = loader.MissingFieldAs,
        };
    }

    public StageLayout Layout => _refillStaging.Layout;

    /// <summary>The unit key of a quarantined file.</summary>
    public static string QuarantineUnit(string topic, long first) => CheckedTopic(string.Create(CultureInfo.InvariantCulture, $"{topic}.q{first:D20}"), topic);

    /// <summary>The unit key of one attempt at a dead-letter record.</summary>
    public static string DeadLetterUnit(string topic, long offset, int attempt) => CheckedTopic(string.Create(CultureInfo.InvariantCulture, $"{topic}.d{offset:D20}.{attempt}"), topic);

    /// <summary>The prefix shared by every attempt's unit key of a dead-letter record.</summary>
    public static string DeadLetterUnitPrefix(string topic, long offset) => string.Create(CultureInfo.InvariantCulture, $"{topic}.d{offset:D20}.");

    /// <summary>Stages one unit's lines (each with its real offset) under the unit's key, if not staged already.</summary>
    public async Task<StageFileName> StageUnitAsync(string unit, int partition, IReadOnlyList<(long Offset, byte[] Line)> lines, CancellationToken cancellationToken)
    {
        StageFileName name = Layout.File(unit, partition, lines[0].Offset, lines[^1].Offset, _staging.Compression);
        var offsets = new OffsetRanges();
        IStageUpload upload = await _store.StartUploadAsync(name.Path, cancellationToken).ConfigureAwait(false);
        await using (upload.ConfigureAwait(false))
        {
            Stream output = StageFiles.Compress(upload.Content, _staging.Compression, _staging.ZstdLevel);
            try
            {
                foreach ((long offset, byte[] line) in lines)
                {
                    await output.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                    if (line.Length == 0 || line[^1] != (byte)'\n')
                    {
                        await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                    }

                    offsets.Add(offset);
                }
            }
            finally
            {
                if (!ReferenceEquals(output, upload.Content))
                {
                    await output.DisposeAsync().ConfigureAwait(false);
                }
            }

            string text = offsets.ToString();
            if (text.Length > StageMetadata.MaxInlineOffsetsLength)
            {
                // Units are one record, or one quarantined file whose own offsets fitted inline or in a sidecar.
                await WriteSidecarAsync(name.Path, text, cancellationToken).ConfigureAwait(false);
                text = StageMetadata.SidecarMarker;
            }

            // An existing unit file comes from an earlier run of the same operation: same lines.
            await upload.CommitAsync(
                new Dictionary<string, string>
                {
                    [StageMetadata.FirstOffset] = name.FirstOffset.ToString(CultureInfo.InvariantCulture),
                    [StageMetadata.LastOffset] = name.LastOffset.ToString(CultureInfo.InvariantCulture),
                    [StageMetadata.LineCount] = lines.Count.ToString(CultureInfo.InvariantCulture),
                    [StageMetadata.LineOffsets] = text,
                    [StageMetadata.Mode] = _staging.Encoding.Mode.ToString().ToLowerInvariant(),
                },
                cancellationToken).ConfigureAwait(false);
        }

        return name;
    }

    /// <summary>Loads every staged unit (exactly once per unit key).</summary>
    public async Task<LoadResult> LoadAsync(CancellationToken cancellationToken)
    {
        using (DatabendClient client = _clientFactory())
        {
            await client.ExecuteAsync(DatabendSetup.LedgerDdl(_refillLoader.LedgerTable), cancellationToken).ConfigureAwait(false);
        }

        return await new TableLoader(_clientFactory, _store, _refillStaging, _refillLoader).LoadAllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The refill area's dead letters of one unit key (attempts refused by Databend).</summary>
    public async Task<List<(StagedObject Letter, StageFileName Name)>> DeadLettersOfUnitsAsync(string unitPrefix, int partition, CancellationToken cancellationToken)
    {
        var found = new List<(StagedObject, StageFileName)>();
        await foreach (StagedObject letter in _store.ListAsync($"{Layout.DeadLetterPrefix}/{_staging.Table}/{unitPrefix}", cancellationToken).ConfigureAwait(false))
        {
            if (StageFileName.TryParse(letter.Path, out StageFileName? name) && name.Partition == partition)
            {
                found.Add((letter, name));
            }
        }

        return found;
    }

    /// <summary>
    /// Moves the lines a quarantined file's unit had refused by Databend to the main dead-letter
    /// area under their real topic, so that they are listed and replayed like any other.
    /// </summary>
    public async Task<int> MoveUnitDeadLettersAsync(string unit, string topic, int partition, CancellationToken cancellationToken)
    {
        int moved = 0;
        foreach ((StagedObject letter, StageFileName name) in await DeadLettersOfUnitsAsync(unit + "/", partition, cancellationToken).ConfigureAwait(false))
        {
            StageFileName target = _staging.Layout.DeadLetterFile(topic, partition, name.FirstOffset, name.LastOffset);
            string text;
            Stream source = await _store.OpenReadAsync(letter.Path, cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                using var reader = new StreamReader(source, Encoding.UTF8);
                text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }

            var lines = new StringBuilder();
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                JsonObject json = JsonNode.Parse(line)!.AsObject();
                json["topic"] = topic;
                lines.Append(json.ToJsonString()).Append('\n');
            }

            IStageUpload upload = await _store.StartUploadAsync(target.Path, cancellationToken).ConfigureAwait(false);
            await using (upload.ConfigureAwait(false))
            {
                await upload.Content.WriteAsync(Encoding.UTF8.GetBytes(lines.ToString()), cancellationToken).ConfigureAwait(false);
                await upload.CommitAsync(new Dictionary<string, string>(letter.Metadata, StringComparer.OrdinalIgnoreCase), cancellationToken).ConfigureAwait(false);
            }

            await _store.DeleteAsync(letter.Path, cancellationToken).ConfigureAwait(false);
            moved++;
        }

        return moved;
    }

    private async Task WriteSidecarAsync(string path, string text, CancellationToken cancellationToken)
    {
        IStageUpload sidecar = await _store.StartUploadAsync(path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
        await using (sidecar.ConfigureAwait(false))
        {
            await sidecar.Content.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken).ConfigureAwait(false);
            await sidecar.CommitAsync(new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static string CheckedTopic(string unit, string topic) =>
        Records.KafkaTopicName.IsValid(unit)
            ? unit
            : throw new OperationRefusedException($"topic '{topic}' is too long to name a refill unit (Kafka's limit of {Records.KafkaTopicName.MaxLength} characters, less 25); this record cannot be refilled", isUsageError: false);
}
