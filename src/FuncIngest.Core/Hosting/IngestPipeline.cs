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

    /// <summary>Creates the pipeline over validated settings.</summary>
    public IngestPipeline(FuncIngestSettings settings, IStageStore store, Func<DatabendClient> clients, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
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
    }

    /// <summary>The settings.</summary>
    public FuncIngestSettings Settings { get; }

    /// <summary>The table a batch goes to when the caller names none (<c>FuncIngest:Staging:Table</c>).</summary>
    public string DefaultTable => Settings.Staging.Table;

    /// <summary>
    /// Stages a batch for <paramref name="table"/> (default <see cref="DefaultTable"/>) and
    /// returns once every file is durable in the stage. Offsets already staged are skipped.
    /// </summary>
    /// <exception cref="FuncIngestConfigurationException"><paramref name="table"/> is not one of <see cref="StagingOptions.ConfiguredTables"/>.</exception>
    public Task<StageBatchResult> StageAsync(IReadOnlyList<IngestRecord> records, string? table = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        return Stager(table ?? DefaultTable).StageAsync(records, cancellationToken);
    }

    /// <summary>
    /// Loads every staged file of <paramref name="table"/>, creating table, ledger and stage
    /// first when <see cref="LoaderOptions.EnsureObjects"/> is on (once per process and table).
    /// </summary>
    /// <exception cref="DatabendException">Databend failed through every transaction attempt; the files stay staged.</exception>
    /// <exception cref="FuncIngestConfigurationException"><paramref name="table"/> is not one of <see cref="StagingOptions.ConfiguredTables"/>.</exception>
    public async Task<LoadResult> LoadAsync(string table, CancellationToken cancellationToken = default)
    {
        StagingOptions staging = Staging(table);
        if (Settings.Loader.EnsureObjects && !_ensured.ContainsKey(table))
        {
            using DatabendClient client = _clients();
            await DatabendSetup.EnsureAsync(client, staging, Settings.Loader, Settings.StageConnectionForSetup(), cancellationToken).ConfigureAwait(false);
            _ensured[table] = true;
        }

        var loader = new TableLoader(_clients, _store, staging, Settings.Loader, _loggers.CreateLogger<TableLoader>(), _time);
        return await loader.LoadAllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Configured tables (<see cref="StagingOptions.ConfiguredTables"/>) with staged files older
    /// than <see cref="LoaderOptions.StrandedAfter"/>: their load was never scheduled, or failed.
    /// A folder of the stage that names another table (or the ledger) is not a table to load.
    /// </summary>
    public Task<IReadOnlyList<StrandedTable>> FindStrandedAsync(CancellationToken cancellationToken = default) =>
        new StageSweeper(_store, Settings.Staging.Prefix, _time, Settings.Staging.ConfiguredTables).FindStrandedAsync(Settings.Loader.StrandedAfter, cancellationToken);

    private BatchStager Stager(string table) =>
        _stagers.GetOrAdd(table, t => new BatchStager(_store, Staging(t), _loggers.CreateLogger<BatchStager>(), _time));

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
