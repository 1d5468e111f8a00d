using System.Diagnostics;
using Confluent.Kafka;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Cli.Daemon;

/// <summary>
/// <c>funcingest run</c>: a consumer-group member that stages batches and commits their offsets
/// only after staging returned, with the table loader running alongside. Killing it at any
/// point loses nothing and loads nothing twice: uncommitted records are redelivered, staging
/// skips what is already staged, and the ledger skips what is already loaded.
/// </summary>
internal sealed class IngestDaemon(FuncIngestSettings settings, RunOptions run, IStageStore store, Func<DatabendClient> clients, TextWriter output) : IDisposable
{
    private readonly SemaphoreSlim _loadSignal = new(0, int.MaxValue);
    private long _consumed;
    private long _staged;
    private long _deadLettered;
    private long _loadedRows;
    private int _unloadedFiles;
    private volatile bool _loaderIdle = true;
    private volatile bool _loaderFailing;

    public void Dispose() => _loadSignal.Dispose();

    public async Task<int> RunAsync(CancellationToken stop)
    {
        var stager = new BatchStager(store, settings.Staging);
        var loader = new TableLoader(clients, store, settings.Staging, settings.Loader);
        using var loaderStop = new CancellationTokenSource();
        Task loading = LoaderLoopAsync(loader, loaderStop.Token);

        var batch = new List<IngestRecord>();
        var nextOffsets = new Dictionary<TopicPartition, Offset>();
        long batchBytes = 0;
        var batchAge = new Stopwatch();
        var idle = Stopwatch.StartNew();
        var report = Stopwatch.StartNew();
        bool paused = false;

        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(settings.ConsumerConfig())
            .SetErrorHandler((_, e) => output.WriteLine($"kafka: {e.Reason}"))
            .Build();
        consumer.Subscribe(settings.Topics);
        output.WriteLine($"funcingest run: {string.Join(",", settings.Topics)} -> {settings.Staging.Table} (group {settings.KafkaConsumerGroup})");
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!paused && Volatile.Read(ref _unloadedFiles) > run.MaxPendingFiles)
                {
                    consumer.Pause(consumer.Assignment);
                    paused = true;
                    output.WriteLine($"paused: {_unloadedFiles} staged files wait for the loader");
                }
                else if (paused && Volatile.Read(ref _unloadedFiles) <= run.MaxPendingFiles / 2)
                {
                    consumer.Resume(consumer.Assignment);
                    paused = false;
                    output.WriteLine("resumed");
                }

                ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    IngestRecord record = IngestRecord.FromConsumeResult(result);
                    batch.Add(record);
                    batchBytes += record.PayloadBytes;
                    nextOffsets[result.TopicPartition] = result.Offset + 1;
                    Interlocked.Increment(ref _consumed);
                    idle.Restart();
                    if (batch.Count == 1)
                    {
                        batchAge.Restart();
                    }
                }

                if (batch.Count > 0 && (batch.Count >= run.MaxBatchRecords || batchBytes >= run.MaxBatchBytes || batchAge.ElapsedMilliseconds >= run.MaxBatchWaitMs))
                {
                    await FlushAsync(stager, consumer, batch, nextOffsets).ConfigureAwait(false);
                    batchBytes = 0;
                }

                if (report.Elapsed >= TimeSpan.FromSeconds(5))
                {
                    Report();
                    report.Restart();
                }

                if (run.ExitWhenIdleSeconds > 0 && !CaughtUp(consumer))
                {
                    // Idle time counts only once partitions are assigned and read to their end.
                    idle.Restart();
                }

                if (run.ExitWhenIdleSeconds > 0 && batch.Count == 0 && idle.Elapsed.TotalSeconds >= run.ExitWhenIdleSeconds
                    && _loaderIdle && Volatile.Read(ref _unloadedFiles) == 0 && !_loaderFailing)
                {
                    output.WriteLine($"idle for {run.ExitWhenIdleSeconds} s with everything loaded; exiting");
                    break;
                }
            }

            // Stopping: what was consumed is staged and committed, so nothing is consumed twice needlessly.
            if (batch.Count > 0)
            {
                await FlushAsync(stager, consumer, batch, nextOffsets).ConfigureAwait(false);
            }
        }
        finally
        {
            consumer.Close();
            loaderStop.Cancel();
            await loading.ConfigureAwait(false);
        }

        // A last pass so a graceful stop leaves nothing staged behind (it stays staged if Databend is down).
        try
        {
            LoadResult last = await loader.LoadAllAsync(CancellationToken.None).ConfigureAwait(false);
            Interlocked.Add(ref _loadedRows, last.RowsLoaded);
        }
        catch (DatabendException e)
        {
            output.WriteLine($"final load failed; files stay staged for the next run: {e.Message}");
        }

        Report();
        return stop.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    private static bool CaughtUp(IConsumer<byte[], byte[]> consumer)
    {
        List<TopicPartition> assignment = consumer.Assignment;
        if (assignment.Count == 0)
        {
            return false;
        }

        foreach (TopicPartition partition in assignment)
        {
            WatermarkOffsets marks = consumer.GetWatermarkOffsets(partition);
            Offset position = consumer.Position(partition);
            bool empty = marks.High != Offset.Unset && marks.High.Value == marks.Low.Value;
            if (!empty && (marks.High == Offset.Unset || position == Offset.Unset || position.Value < marks.High.Value))
            {
                return false;
            }
        }

        return true;
    }

    private async Task FlushAsync(BatchStager stager, IConsumer<byte[], byte[]> consumer, List<IngestRecord> batch, Dictionary<TopicPartition, Offset> nextOffsets)
    {
        // Not cancellable: a stop request waits for the batch to be staged and committed.
        StageBatchResult result = await stager.StageAsync(batch, CancellationToken.None).ConfigureAwait(false);
        Interlocked.Add(ref _staged, result.StagedRecords);
        Interlocked.Add(ref _deadLettered, result.DeadLetteredRecords);
        Interlocked.Add(ref _unloadedFiles, result.Files.Count);
        try
        {
            consumer.Commit([.. nextOffsets.Select(n => new TopicPartitionOffset(n.Key, n.Value))]);
        }
        catch (KafkaException e)
        {
            // A partition moved to another member mid-batch: it redelivers from the last commit,
            // and staging skips what this batch already staged.
            output.WriteLine($"commit not accepted ({e.Error.Reason}); the new owner re-reads those records and skips what is staged");
        }

        batch.Clear();
        nextOffsets.Clear();
        _loadSignal.Release();
    }

    private async Task LoaderLoopAsync(TableLoader loader, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _loadSignal.WaitAsync(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _loaderIdle = false;
            try
            {
                int before = Volatile.Read(ref _unloadedFiles);
                LoadResult result = await loader.LoadAllAsync(stop).ConfigureAwait(false);
                Interlocked.Add(ref _loadedRows, result.RowsLoaded);
                Interlocked.Add(ref _unloadedFiles, -Math.Min(before, result.Loaded.Count + result.Skipped.Count + result.Quarantined.Count));
                if (result.Loaded.Count + result.Skipped.Count + result.Quarantined.Count == 0)
                {
                    Interlocked.Exchange(ref _unloadedFiles, 0);
                }

                _loaderFailing = false;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (DatabendException e)
            {
                _loaderFailing = true;
                output.WriteLine($"load failed, retrying: {e.Message}");
            }
            finally
            {
                _loaderIdle = true;
            }
        }
    }

    private void Report() =>
        output.WriteLine($"consumed {Interlocked.Read(ref _consumed)}, staged {Interlocked.Read(ref _staged)}, dead-lettered {Interlocked.Read(ref _deadLettered)}, loaded {Interlocked.Read(ref _loadedRows)} rows");
}
