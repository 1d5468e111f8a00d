using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Functions.Tests;

/// <summary>
/// The worker forwards a log line to the host only when its scope carries AzureFunctions_InvocationId
/// (GrpcFunctionsHostLogWriter); under the real host 4.1037.0 none of the app's lines arrived without it.
/// </summary>
public sealed class InvocationLogScopeMiddlewareTests
{
    [Fact]
    public async Task Logs_written_inside_an_invocation_carry_its_id_under_the_key_the_worker_reads()
    {
        var scopes = new ScopeRecorder();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(scopes));
        var middleware = new InvocationLogScopeMiddleware(loggers);
        object? seen = null;

        await middleware.Invoke(new InvocationOnlyContext("inv-42"), _ =>
        {
            seen = scopes.Current(InvocationLogScopeMiddleware.InvocationIdKey);
            return Task.CompletedTask;
        });

        Assert.Equal("inv-42", seen);
        Assert.Null(scopes.Current(InvocationLogScopeMiddleware.InvocationIdKey));
    }

    [Fact]
    public void The_app_registers_the_middleware()
    {
        string source = File.ReadAllText(Path.Combine(FuncIngest.TestSupport.RepositoryPaths.Root, "src", "FuncIngest.Functions", "FunctionsApp.cs"));

        Assert.Contains("builder.UseMiddleware<InvocationLogScopeMiddleware>()", source, StringComparison.Ordinal);
    }

    private sealed class ScopeRecorder : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public object? Current(string key)
        {
            object? found = null;
            _scopes.ForEachScope((scope, _) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object>> pairs)
                {
                    foreach (KeyValuePair<string, object> pair in pairs)
                    {
                        if (pair.Key == key)
                        {
                            found = pair.Value;
                        }
                    }
                }
            }, (object?)null);
            return found;
        }

        public ILogger CreateLogger(string categoryName) => new NullScopeLogger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class NullScopeLogger(ScopeRecorder owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
            }
        }
    }

    private sealed class InvocationOnlyContext(string invocationId) : FunctionContext
    {
        public override string InvocationId { get; } = invocationId;

        public override string FunctionId => "f";

        public override TraceContext TraceContext => throw new NotSupportedException();

        public override BindingContext BindingContext => throw new NotSupportedException();

        public override RetryContext RetryContext => throw new NotSupportedException();

        public override IServiceProvider InstanceServices { get; set; } = null!;

        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

        public override IInvocationFeatures Features => throw new NotSupportedException();
    }
}
