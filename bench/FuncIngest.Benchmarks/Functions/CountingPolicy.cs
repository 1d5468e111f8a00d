using Azure.Core;
using Azure.Core.Pipeline;

namespace FuncIngest.Benchmarks.Functions;

/// <summary>Counts the HTTP requests (Blob transactions, retries included) a Blob client sends.</summary>
internal sealed class CountingPolicy : HttpPipelinePolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        return ProcessNextAsync(message, pipeline);
    }
}
