using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Functions.Tests.Durable;

/// <summary>
/// The real orchestration context of the test host, except for entity signals: the in-process
/// test host has no entity backend (see <see cref="TestHostEntitySupportTests"/>), so a signal is
/// handed to <see cref="SchedulerBed"/>'s entity runner. Like the runtime, which emits a signal
/// as an action of the episode that first runs the call, it is handed over only when the
/// orchestrator is not replaying; every replay also counts, to check replay safety.
/// </summary>
internal sealed class EntityRecordingContext(TaskOrchestrationContext inner, Action<EntityInstanceId, string, object?> signal) : TaskOrchestrationContext
{
    private readonly RecordingEntities _entities = new(inner, signal);

    public override TaskName Name => inner.Name;

    public override string InstanceId => inner.InstanceId;

    public override ParentOrchestrationInstance? Parent => inner.Parent;

    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

    public override bool IsReplaying => inner.IsReplaying;

    public override TaskOrchestrationEntityFeature Entities => _entities;

    protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

    public override T? GetInput<T>() where T : default => inner.GetInput<T>();

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
        inner.CallActivityAsync<TResult>(name, input, options);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
        inner.WaitForExternalEvent<T>(eventName, cancellationToken);

    public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

    public override Guid NewGuid() => inner.NewGuid();

    private sealed class RecordingEntities(TaskOrchestrationContext context, Action<EntityInstanceId, string, object?> signal) : TaskOrchestrationEntityFeature
    {
        public override Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null)
        {
            if (!context.IsReplaying)
            {
                signal(id, operationName, input);
            }

            return Task.CompletedTask;
        }

        public override Task<TResult> CallEntityAsync<TResult>(EntityInstanceId id, string operationName, object? input = null, CallEntityOptions? options = null) =>
            throw new NotSupportedException("LoadTableOrchestrator only signals.");

        public override Task CallEntityAsync(EntityInstanceId id, string operationName, object? input = null, CallEntityOptions? options = null) =>
            throw new NotSupportedException("LoadTableOrchestrator only signals.");

        public override Task<IAsyncDisposable> LockEntitiesAsync(IEnumerable<EntityInstanceId> entityIds) =>
            throw new NotSupportedException("LoadTableOrchestrator locks nothing.");

        public override bool InCriticalSection([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IReadOnlyList<EntityInstanceId>? entityIds)
        {
            entityIds = null;
            return false;
        }
    }
}
