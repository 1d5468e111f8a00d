using Confluent.Kafka;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Cli.Progress;

/// <summary>
/// What <c>funcingest run</c> tells a progress view, from the daemon's own threads. Calls must be
/// cheap and must not block: <see cref="Consumed"/> runs once per record on the consume loop.
/// </summary>
internal interface IRunProgress
{
    /// <summary>
    /// True when a view shows the numbers all the time, so the progress line every 5 s would only
    /// scroll it; the final progress line is printed either way.
    /// </summary>
    bool ReplacesProgressLine { get; }

    /// <summary>The consumer whose assignment and cached high watermarks the view may read, until <see cref="Detach"/>.</summary>
    void Attach(IConsumer<byte[], byte[]> consumer);

    /// <summary>Called before the consumer closes: the view stops reading it and keeps the last numbers.</summary>
    void Detach();

    /// <summary>One record consumed (the consume loop's thread only).</summary>
    void Consumed(TopicPartition partition, Offset offset);

    /// <summary>The consumer read a partition to its end; <paramref name="position"/> is the end offset then.</summary>
    void ReachedEnd(TopicPartition partition, Offset position);

    /// <summary>A batch was staged.</summary>
    void Staged(StageBatchResult result);

    /// <summary>A load pass ended.</summary>
    void Loaded(LoadResult result);
}
