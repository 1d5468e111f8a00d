using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace FuncIngest.Functions.Ingest;

/// <summary>
/// The Kafka trigger for <c>KafkaTopics</c>, into <c>FuncIngest:Staging:Table</c>. For another
/// topic, copy this class with its own topic setting and table (docs/functions-app.md, "More topics").
/// </summary>
public sealed class IngestFunction(TableIngestor ingestor)
{
    /// <summary>
    /// Stages the batch and schedules its load; returns only when both are durable. A failure
    /// throws: with <c>commitOnFailure: false</c> the offsets are not committed, and the batch is
    /// retried (here, then redelivered by the extension) until it is staged.
    /// </summary>
    [Function("Ingest")]
    [ExponentialBackoffRetry(-1, "00:00:02", "00:05:00")]
    public Task RunAsync(
        [KafkaTrigger(
            KafkaConnection.BrokerList,
            "%KafkaTopics%",
            ConsumerGroup = KafkaConnection.ConsumerGroup,
            Username = KafkaConnection.Username,
            Password = KafkaConnection.Password,
            Protocol = KafkaConnection.Protocol,
            AuthenticationMode = KafkaConnection.AuthenticationMode,
            IsBatched = true)]
        KafkaRecord[] records,
        [DurableClient] DurableTaskClient durable,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ingestor.IngestAsync(records, table: null, durable, context.CancellationToken);
    }
}
