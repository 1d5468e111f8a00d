using FuncIngest.Functions.Loading;
using FuncIngest.Hosting;
using FuncIngest.Staging;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Functions.Ingest;

/// <summary>What every ingest function does with its batch: stage through Core, then signal the table's scheduler.</summary>
public sealed partial class TableIngestor(IngestPipeline pipeline, ILogger<TableIngestor> logger)
{
    /// <summary>Stages <paramref name="records"/> for <paramref name="table"/> (null: the default table) and schedules the load.</summary>
    public async Task IngestAsync(KafkaRecord[] records, string? table, DurableTaskClient durable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(durable);
        string target = table ?? pipeline.DefaultTable;
        StageBatchResult staged = await pipeline.StageAsync(KafkaRecordAdapter.ToIngestRecords(records), target, cancellationToken).ConfigureAwait(false);

        // Signalled even when nothing new was staged: a redelivered batch may be one whose files
        // were staged by an attempt that died before this signal.
        await durable.Entities.SignalEntityAsync(TableLoadScheduler.For(target), nameof(TableLoadScheduler.Schedule), staged.Files.Count, cancellation: cancellationToken).ConfigureAwait(false);
        LogStaged(logger, records.Length, target, staged.StagedRecords, staged.SkippedRecords, staged.DeadLetteredRecords, staged.Files.Count);
    }

    // Staging events are 1xx; the Functions app takes 150-199, FuncIngest.Core 100-149 (docs/operations.md, Log lines).
    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "Batch of {Records} records for {Table}: {Staged} staged, {Skipped} already staged, {DeadLettered} dead-lettered, in {Files} files; load scheduled")]
    private static partial void LogStaged(ILogger logger, int records, string table, int staged, int skipped, int deadLettered, int files);
}
