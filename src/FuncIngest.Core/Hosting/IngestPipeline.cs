using System.Collections.Concurrent;
using Databend.Client;
using FuncIngest.Loading;
using FuncIngest.Records;
using FuncIngest.Staging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Hosting;

/// <summary>
/// Everything a host calls, per target table: stage a batch, load a table, find stranded
/// files. The Functions app's functions are one call each into this class; the staging,
/// loading and sweeping logic lives in <see cref="BatchStager"/>, <see cref="TableLoader"/>
/// and <see cref="StageSweeper"/>.
/// </summary>
public sealed class IngestPipeline
{
    private readonly IStageStore _store;
    private readonly Func<DatabendClient> _clients;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, BatchStager> _stagers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ensured = new(StringComparer.Ordinal);
    private readonly Schemas.SchemaRegistrySchemas? _schemas;
    private readonly ConcurrentDictionary<(string Table, string Topic, int Partition), long> _loadedBelow = new();
    private volatile bool _stageEnsured;

    /// <summary>Creates the pipeline over validated settings.</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="store">The stage.</param>
    /// <param name="clients">Makes Databend sessions.</param>
    /// <param name="loggerFactory">Logs.</param>
    /// <param name="timeProvider">Clock.</param>
    /// <param name="schemas">The Schema Registry; default: the one <see cref="FuncIngestSettings.SchemaRegistryUrl"/> names, if any.</param>
    public IngestPipeline(FuncIngestSettings settings, IStageStore store, Func<DatabendClient> clients, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, Schemas.SchemaRegistrySchemas? schemas = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clients);
        settings.Staging.Validate();
        settings.Loader.Validate();
        settings.ValidateTables();
        Settings = settings;
        _store = store;
        _clients = clients;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _schemas = schemas ?? settings.CreateSchemaRegistry();
    }

    /// <summary>The settings.</summary>
    public FuncIngestSettings Settings { get; }

    /// <summary>The table a batch goes to when the caller names none (<c>FuncIngest:Staging:Table</c>).</summary>
    public string DefaultTable => Settings.Staging.Table;

    /// <summary>
    /// Stages a batch for <paramref name="table"/> (default <see cref="DefaultTable"/>) and
    /// returns once every file is durable in the stage. Offsets already staged are skipped.
    /// With <see cref="LoaderOptions.EnsureObjects"/> on, the stage itself (the Blob container,
    /// or the Databend internal stage) is created first, once per process.
    /// </summary>
    /// <exception cref="FuncIngestConfigurationException"><paramref name="table"/> is not one of <see cref="StagingOptions.ConfiguredTables"/>.</exception>
    public async Task<StageBatchResult> StageAsync(IReadOnlyList<IngestRecord> records, string? table = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        BatchStager stager = Stager(table ?? DefaultTable);
        if (Settings.Loader.EnsureObjects)
        {
            await EnsureStageAsync(cancellationToken).ConfigureAwait(false);
        }

        return await stager.StageAsync(records, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a batch for <paramref name="table"/> (default <see cref="DefaultTable"/>) that is
    /// encoded and compressed as records are added (<see cref="StagingBatch"/>), for a host that
    /// collects records one by one; stage it with <see cref="StageAsync(StagingBatch, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="FuncIngestConfigurationException"><paramref name="table"/> is not one of <see cref="StagingOptions.ConfiguredTables"/>.</exception>
    public StagingBatch StartBatch(int expectedRecords = 0, string? table = null) => Stager(table ?? DefaultTable).StartBatch(expectedRecords);

    /// <summary>
    /// Stages a batch made by <see cref="StartBatch"/>, like <see cref="StageAsync(IReadOnlyList{IngestRecord}, string?, CancellationToken)"/>
    /// stages records. The caller disposes the batch afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The batch was started by another pipeline.</exception>
    public async Task<StageBatchResult> StageAsync(StagingBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_stagers.Values.Contains(batch.Stager))
        {
            throw new ArgumentException("the batch was started by another pipeline", nameof(batch));
        }

        if (Settings.Loader.EnsureObjects)
        {
            await EnsureStageAsync(cancellationToken).ConfigureAwait(false);
        }

        return await batch.Stager.StageAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps the stage locks and coverage of these partitions of <paramref name="table"/> between
    /// batches (<see cref="BatchStager.HoldPartitions"/>), for a host that owns them for a while.
    /// </summary>
    public void HoldPartitions(IEnumerable<(string Topic, int Partition)> partitions, string? table = null) =>
        Stager(table ?? DefaultTable).HoldPartitions(partitions);

    /// <summary>Releases held partitions of <paramref name="table"/>, all of them when <paramref name="partitions"/> is null (<see cref="BatchStager.ReleasePartitionsAsync"/>).</summary>
    public Task ReleasePartitionsAsync(IEnumerable<(string Topic, int Partition)>? partitions = null, string? table = null) =>
        Stager(table ?? DefaultTable).ReleasePartitionsAsync(partitions);

    /// <summary>
    /// Creates what staging and loading <paramref name="table"/> need when it is missing: the
    /// stage's storage (Blob container or internal stage), the table (raw mode), the ledger and
    /// the Databend stage. What <c>funcingest init</c> does; safe to call again, and done once per
    /// process and table.
    /// </summary>
    /// <exception cref="DatabendException">Databend refused or could not be reached.</exception>
    public async Task EnsureObjectsAsync(string? table = null, CancellationToken cancellationToken = default)
    {
        string name = table ?? DefaultTable;
        await EnsureStageAsync(cancellationToken).ConfigureAwait(false);
        if (!_ensured.ContainsKey(name))
        {
            using DatabendClient client = _clients();
            await DatabendSetup.EnsureAsync(client, Staging(name), Settings.Loader, Settings.StageConnectionForSetup(), cancellationToken).ConfigureAwait(false);
            _ensured[name] = true;
        }
    }

    /// <summary>
    /// Loads every staged file of <paramref name="table"/>, creating the container, table, ledger
    /// and stage first when <see cref="LoaderOptions.EnsureObjects"/> is on (once per process and table).
    /// </summary>
    /// <exception cref="DatabendException">Databend failed through every transaction attempt; the files stay staged.</exception>
    /// <exception cref="FuncIngestConfigurationException"><paramref name="table"/> is not one of <see cref="StagingOptions.ConfiguredTables"/>.</exception>
    public async Task<LoadResult> LoadAsync(string table, CancellationToken cancellationToken = default)
    {
        StagingOptions staging = Staging(table);
        if (Settings.Loader.EnsureObjects)
        {
            await EnsureObjectsAsync(table, cancellationToken).ConfigureAwait(false);
        }

        TableLoader loader = Loader(staging);
        LoadResult result = await loader.LoadAllAsync(cancellationToken).ConfigureAwait(false);

        // What the ledger said after the last pass replaces what was known (so a ledger moved
        // back is followed as soon as a pass loads); a file loaded or skipped by the ledger means
        // the ledger stands past its last offset (next_offset becomes the file's last offset + 1).
        if (loader.LedgerAfterLoad is { } ledger)
        {
            foreach (((string topic, int partition), long next) in ledger)
            {
                _loadedBelow[(staging.Table, topic, partition)] = next;
            }
        }

        foreach (StageFileName file in result.Loaded.Concat(result.Skipped))
        {
            _loadedBelow.AddOrUpdate((staging.Table, file.Topic, file.Partition), file.LastOffset + 1, (_, known) => Math.Max(known, file.LastOffset + 1));
        }

        return result;
    }

    /// <summary>
    /// Reads <paramref name="table"/>'s ledger (default <see cref="DefaultTable"/>) into what
    /// <see cref="LoadedBelow"/> answers, replacing what this pipeline knew of those partitions.
    /// </summary>
    /// <exception cref="DatabendException">Databend refused or could not be reached (e.g. no ledger yet).</exception>
    public async Task ReadLoadedOffsetsAsync(string? table = null, CancellationToken cancellationToken = default)
    {
        StagingOptions staging = Staging(table ?? DefaultTable);
        TableLoader loader = Loader(staging);
        foreach (LedgerEntry entry in await loader.ReadLedgerAsync(cancellationToken).ConfigureAwait(false))
        {
            _loadedBelow[(staging.Table, entry.Topic, entry.Partition)] = entry.NextOffset;
        }
    }

    /// <summary>
    /// The offset below which <paramref name="table"/> (default <see cref="DefaultTable"/>) holds
    /// every record of the partition, as this pipeline last learned it from the ledger (its own
    /// loads and <see cref="ReadLoadedOffsetsAsync"/>), or null when it knows nothing. A host may
    /// drop a record below it instead of staging it: the loader would skip it by the ledger. It is
    /// never above the ledger, unless the ledger was moved back while this pipeline ran, which
    /// `funcingest ledger reset` is documented to need every host stopped for.
    /// </summary>
    public long? LoadedBelow(string topic, int partition, string? table = null) =>
        _loadedBelow.TryGetValue((table ?? DefaultTable, topic, partition), out long next) ? next : null;

    /// <summary>
    /// Configured tables (<see cref="StagingOptions.ConfiguredTables"/>) with staged files older
    /// than <see cref="LoaderOptions.StrandedAfter"/>: their load was never scheduled, or failed.
    /// A folder of the stage that names another table (or the ledger) is not a table to load.
    /// </summary>
    public Task<IReadOnlyList<StrandedTable>> FindStrandedAsync(CancellationToken cancellationToken = default) =>
        new StageSweeper(_store, Settings.Staging.Prefix, _time, Settings.Staging.ConfiguredTables).FindStrandedAsync(Settings.Loader.StrandedAfter, cancellationToken);

    /// <summary>
    /// The stage's storage only: staging must not wait for Databend to be up when the stage is a
    /// Blob container (files wait there until Databend is back).
    /// </summary>
    private async Task EnsureStageAsync(CancellationToken cancellationToken)
    {
        if (_stageEnsured)
        {
            return;
        }

        if (_store is AzureBlobStageStore blob)
        {
            await blob.EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (Settings.UsesInternalStage)
        {
            using DatabendClient client = _clients();
            await client.ExecuteAsync(DatabendSetup.InternalStageDdl(Settings.Loader.StageName), cancellationToken).ConfigureAwait(false);
        }

        _stageEnsured = true;
    }

    private BatchStager Stager(string table) =>
        _stagers.GetOrAdd(table, t => new BatchStager(_store, Staging(t), _loggers.CreateLogger<BatchStager>(), _time, _schemas));

    private TableLoader Loader(StagingOptions staging) =>
        new(_clients, _store, staging, Settings.Loader, _loggers.CreateLogger<TableLoader>(), _time);

    private StagingOptions Staging(string table)
    {
        if (!Settings.Staging.ConfiguredTables.Contains(table, StringComparer.Ordinal))
        {
            // Table names reach here from the stage (the sweeper) and from durable inputs: only
            // a table the operator configured is staged or loaded.
            throw new FuncIngestConfigurationException($"{StagingOptions.Section}:Tables",
                $"does not list '{table}'; FuncIngest stages and loads only {StagingOptions.Section}:Table and the tables listed there.");
        }

        return string.Equals(table, Settings.Staging.Table, StringComparison.Ordinal) ? Settings.Staging : Settings.Staging.WithTable(table);
    }
}
