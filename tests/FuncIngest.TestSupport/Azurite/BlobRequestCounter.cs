using Azure.Core;
using Azure.Core.Pipeline;

namespace FuncIngest.TestSupport.Azurite;

/// <summary>
/// Counts the HTTP requests a Blob client sends (each retry too): the stage round trips, or the
/// Blob transactions a cost estimate prices. Add it with
/// <c>options.AddPolicy(counter, HttpPipelinePosition.PerRetry)</c>.
/// </summary>
public sealed class BlobRequestCounter : HttpPipelinePolicy
{
    private long _count;

    /// <summary>Requests sent so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc/>
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        ProcessNext(message, pipeline);
    }

    /// <inheritdoc/>
    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        return ProcessNextAsync(message, pipeline);
    }
}
