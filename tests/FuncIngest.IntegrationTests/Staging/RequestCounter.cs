using Azure.Core;
using Azure.Core.Pipeline;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>Counts the HTTP requests a Blob client sends (each retry too): the stage round trips.</summary>
internal sealed class RequestCounter : HttpPipelinePolicy
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

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
