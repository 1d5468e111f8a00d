using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Storage.Blobs;
using Databend.Client;
using FuncIngest.Functions.Loading;
using FuncIngest.Hosting;
using FuncIngest.Records;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FuncIngest.Functions.Tests.Durable;

/// <summary>
/// The durable loader of the Functions app, its own classes, run by Durable Task's in-process
/// test host (orchestrator and activity) against Azurite and the Databend emulator (or the real
/// server of DATABEND_TEST_DSN). The test host has no entity backend, so the scheduler entity,
/// the app's own TableLoadScheduler, runs in a small entity runner here that does what the
/// runtime does for one entity: one operation at a time, state kept between operations only as
/// the JSON of the app's data converter, orchestrations started after the operation ends.
/// </summary>
internal sealed class SchedulerBed : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Task> _pending = [];
    private readonly List<string> _started = [];
    private readonly List<LoadCompletion> _completions = [];
    private IHost _app = null!;
    private DatabendTarget _target = null!;
    private ServiceProvider _services = null!;
    private string? _stateJson;
    private int _failuresLeft;
    private int _activityAttempts;
    private int _episodes;
    private int _signals;
    private int _duringFirstLoadTaken;

    private SchedulerBed()
    {
    }

    public string Table { get; private set; } = null!;

    public IngestPipeline Pipeline { get; private set; } = null!;

    /// <summary>The data converter the app's Durable extension registers (the worker's serializer).</summary>
    public DataConverter Converter { get; private set; } = null!;

    public DurableTaskTestHost Host { get; private set; } = null!;

    /// <summary>Runs once, inside the first load attempt, before it loads.</summary>
    public Func<Task>? DuringFirstLoad { get; set; }

    public int ActivityAttempts => Volatile.Read(ref _activityAttempts);

    public int OrchestratorEpisodes => Volatile.Read(ref _episodes);

    public int SignalsFromOrchestrations => Volatile.Read(ref _signals);

    public IReadOnlyList<string> Orchestrations
    {
        get
        {
            lock (_pending)
            {
                return [.. _started];
            }
        }
    }

    public IReadOnlyList<LoadCompletion> Completions
    {
        get
        {
            lock (_pending)
            {
                return [.. _completions];
            }
        }
    }

    public TableLoadSchedule Schedule => _stateJson is null ? new TableLoadSchedule() : Converter.Deserialize<TableLoadSchedule>(_stateJson)!;

    public string? StateJson => _stateJson;

    public static async Task<SchedulerBed> StartAsync(AzuriteFixture azurite, int runAttempts, CancellationToken cancellationToken)
    {
        var bed = new SchedulerBed();
        bed._target = await DatabendTarget.StartAsync();
        BlobContainerClient container = await azurite.CreateContainerAsync("durable", cancellationToken);
        bed.Table = "events_" + Guid.NewGuid().ToString("N")[..10];
        Dictionary<string, string?> settings = AppHost.ValidSettings();
        settings["DatabendDsn"] = bed._target.Dsn;
        settings["StageConnectionString"] = azurite.ConnectionString;
        settings["StageContainer"] = container.Name;
        settings["FuncIngest:Staging:Table"] = bed.Table;
        settings["FuncIngest:Staging:Prefix"] = "fi";
        settings["FuncIngest:Loader:StageName"] = "st_" + Guid.NewGuid().ToString("N")[..10];
        settings["FuncIngest:Loader:RetryDelay"] = "00:00:00.020";
        settings["FuncIngest:Loader:RunAttempts"] = runAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["FuncIngest:Loader:RunRetryDelay"] = "00:00:00.100";

        // The app's own start-up: its services, and the data converter its Durable extension set up.
        (bed._app, FuncIngestSettings bound) = AppHost.Build(settings);
        bed._services = new ServiceCollection().AddLogging().AddFuncIngest(bound).BuildServiceProvider();
        bed.Pipeline = bed._services.GetRequiredService<IngestPipeline>();
        bed.Converter = bed._app.Services.GetRequiredService<IOptionsMonitor<DurableTaskWorkerOptions>>().Get(Options.DefaultName).DataConverter;
        DataConverter converter = bed.Converter;

        bed.Host = await DurableTaskTestHost.StartAsync(
            registry =>
            {
                registry.AddOrchestratorFunc<LoadRequest, LoadCompletion>(nameof(LoadTableOrchestrator), (context, _) =>
                {
                    Interlocked.Increment(ref bed._episodes);
                    return LoadTableOrchestrator.RunAsync(new EntityRecordingContext(context, bed.SignalFromOrchestration));
                });
                registry.AddActivityFunc<LoadRequest, LoadCompletion>(nameof(LoadTableActivity), (_, request) => bed.RunActivityAsync(request));
            },
            new DurableTaskTestHostOptions
            {
                Port = FreePort(),
                ConfigureServices = services =>
                {
                    services.Configure<DurableTaskWorkerOptions>(o => o.DataConverter = converter);
                    services.Configure<DurableTaskClientOptions>(o => o.DataConverter = converter);
                },
            },
            cancellationToken);
        return bed;
    }

    /// <summary>Stages records of partition 0 and returns how many files were staged.</summary>
    public async Task<int> StageAsync(long from, long to)
    {
        List<IngestRecord> records = [.. Enumerable.Range(0, (int)(to - from + 1)).Select(i => from + i).Select(o => new IngestRecord(
            "events", 0, o, Encoding.UTF8.GetBytes($"k{o}"), Encoding.UTF8.GetBytes($"{{\"n\":{o}}}"),
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + o), RecordTimestampType.CreateTime))];
        return (await Pipeline.StageAsync(records, Table, TestContext.Current.CancellationToken)).Files.Count;
    }

    /// <summary>Makes the next <paramref name="attempts"/> load attempts throw before they load.</summary>
    public void FailNextAttempts(int attempts) => Volatile.Write(ref _failuresLeft, attempts);

    /// <summary>Signals the table's scheduler, as the ingest function and the sweeper do.</summary>
    public Task SignalAsync(string operation, object? input)
    {
        Task run = RunOperationAsync(operation, input);
        lock (_pending)
        {
            _pending.Add(run);
        }

        return run;
    }

    /// <summary>Waits until no operation is queued and every orchestration started has completed.</summary>
    public async Task QuiesceAsync()
    {
        while (true)
        {
            Task[] pending;
            string[] started;
            lock (_pending)
            {
                pending = [.. _pending];
                started = [.. _started];
            }

            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
            foreach (string id in started)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
                timeout.CancelAfter(TimeSpan.FromMinutes(2));
                await Host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
            }

            lock (_pending)
            {
                if (_pending.Count == pending.Length && _started.Count == started.Length)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The offsets in the target table; none while no load has created it (1025 unknown table).</summary>
    public async Task<List<long>> RowsAsync()
    {
        using DatabendClient client = _services.GetRequiredService<DatabendClient>();
        try
        {
            return [.. (await client.ExecuteAsync($"SELECT koffset FROM {Table} ORDER BY koffset", TestContext.Current.CancellationToken)).Rows.Select(r => r.GetInt64(0))];
        }
        catch (DatabendException e) when (e.ServerCode == 1025)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _app.Dispose();
        await _services.DisposeAsync();
        await _target.DisposeAsync();
        _gate.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void SignalFromOrchestration(EntityInstanceId id, string operation, object? input)
    {
        Assert.Equal(TableLoadScheduler.For(Table), id);
        Interlocked.Increment(ref _signals);
        if (input is LoadCompletion completion)
        {
            lock (_pending)
            {
                _completions.Add(completion);
            }
        }

        _ = SignalAsync(operation, input);
    }

    private async Task<LoadCompletion> RunActivityAsync(LoadRequest request)
    {
        Interlocked.Increment(ref _activityAttempts);
        if (Volatile.Read(ref _failuresLeft) > 0 && Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException($"injected failure of a load attempt of run {request.Run}");
        }

        if (Interlocked.Exchange(ref _duringFirstLoadTaken, 1) == 0 && DuringFirstLoad is { } during)
        {
            await during();
        }

        return await new LoadTableActivity(Pipeline).RunAsync(request, new TestFunctionContext(TestContext.Current.CancellationToken));
    }

    private async Task RunOperationAsync(string operation, object? input)
    {
        // The runtime hands an operation its input as serialized JSON, and the entity's state
        // as the JSON it saved after the previous operation: both go through the converter here.
        string? inputJson = input is null ? null : Converter.Serialize(input);
        var context = new Context(new EntityInstanceId(nameof(TableLoadScheduler), Table));
        await _gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            var state = new EntityState(Converter, _stateJson);
            TableLoadScheduler entity = ActivatorUtilities.CreateInstance<TableLoadScheduler>(_services);
            await entity.RunAsync(new Operation(operation, context, state, inputJson, Converter));
            _stateJson = state.Json;
        }
        finally
        {
            _gate.Release();
        }

        foreach ((TaskName name, object? orchestrationInput, string instanceId) in context.Outbox)
        {
            lock (_pending)
            {
                _started.Add(instanceId);
            }

            await Host.Client.ScheduleNewOrchestrationInstanceAsync(name, orchestrationInput, new StartOrchestrationOptions(instanceId), TestContext.Current.CancellationToken);
        }
    }

    private sealed class Operation(string name, TaskEntityContext context, TaskEntityState state, string? input, DataConverter converter) : TaskEntityOperation
    {
        public override string Name => name;

        public override TaskEntityContext Context => context;

        public override TaskEntityState State => state;

        public override bool HasInput => input is not null;

        public override object? GetInput(Type inputType) => input is null ? null : converter.Deserialize(input, inputType);
    }

    private sealed class EntityState(DataConverter converter, string? json) : TaskEntityState
    {
        public string? Json { get; private set; } = json;

        public override bool HasState => Json is not null;

        public override object? GetState(Type type) => Json is null ? null : converter.Deserialize(Json, type);

        public override void SetState(object? state) => Json = state is null ? null : converter.Serialize(state);
    }

    private sealed class Context(EntityInstanceId id) : TaskEntityContext
    {
        public List<(TaskName Name, object? Input, string InstanceId)> Outbox { get; } = [];

        public override EntityInstanceId Id => id;

        public override void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null) =>
            throw new NotSupportedException("TableLoadScheduler signals no entity.");

        public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null)
        {
            string instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
            Outbox.Add((name, input, instanceId));
            return instanceId;
        }
    }
}
