using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FuncIngest.Functions.Tests.Durable;

/// <summary>
/// Why the scheduler entity runs in <see cref="SchedulerBed"/>'s runner and not in the test
/// host: Microsoft.DurableTask.InProcessTestHost 0.2.3-preview.1 has no entity backend. Its
/// gRPC sidecar (Sidecar/Grpc/TaskHubGrpcServer.cs) implements no entity call (SignalEntity,
/// GetEntity, CompleteEntityTask, ...), its InMemoryOrchestrationService dispatches no entity
/// work items, and its ProtobufUtils converts no SendEntityMessage action.
/// </summary>
public sealed class TestHostEntitySupportTests
{
    [Fact]
    public async Task The_in_process_test_host_cannot_signal_an_entity()
    {
        // When this fails, the test host has learnt entities: run TableLoadScheduler in it
        // (registry.AddEntity) instead of SchedulerBed's runner.
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
            _ => { },
            new DurableTaskTestHostOptions
            {
                ConfigureServices = services => services.Configure<DurableTaskClientOptions>(o => o.EnableEntitySupport = true),
            },
            TestContext.Current.CancellationToken);

        RpcException e = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.Entities.SignalEntityAsync(new EntityInstanceId("TableLoadScheduler", "events"), "Schedule", 1, cancellation: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }
}
