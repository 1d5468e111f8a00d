using Microsoft.Azure.Functions.Worker;

namespace FuncIngest.Functions.Tests.Durable;

/// <summary>
/// The <see cref="FunctionContext"/> an activity function receives; LoadTableActivity reads only
/// its cancellation token, so the rest says plainly that the test host has none of it.
/// </summary>
internal sealed class TestFunctionContext(CancellationToken cancellationToken) : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId => throw Unsupported();

    public override TraceContext TraceContext => throw Unsupported();

    public override BindingContext BindingContext => throw Unsupported();

    public override RetryContext RetryContext => throw Unsupported();

    public override IServiceProvider InstanceServices { get => throw Unsupported(); set => throw Unsupported(); }

    public override FunctionDefinition FunctionDefinition => throw Unsupported();

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => throw Unsupported();

    public override CancellationToken CancellationToken => cancellationToken;

    private static NotSupportedException Unsupported() => new("Not available under the Durable Task test host.");
}
