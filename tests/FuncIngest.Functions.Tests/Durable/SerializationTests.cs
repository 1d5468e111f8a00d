using System.Text.Json.Nodes;
using FuncIngest.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FuncIngest.Functions.Tests.Durable;

/// <summary>
/// The entity's state and the load messages through the data converter the app's Durable
/// extension registers (the worker's serializer), as the runtime stores and passes them.
/// </summary>
public sealed class SerializationTests
{
    private static DataConverter AppConverter(out IHost host)
    {
        (host, _) = AppHost.Build(AppHost.ValidSettings());
        return host.Services.GetRequiredService<IOptionsMonitor<DurableTaskWorkerOptions>>().Get(Options.DefaultName).DataConverter;
    }

    [Fact]
    public void Load_request_and_completion_round_trip_through_the_app_s_converter()
    {
        DataConverter converter = AppConverter(out IHost host);
        using (host)
        {
            // The Durable extension's shim over the worker's serializer (System.Text.Json; it
            // writes the property names as declared and reads them case-insensitively).
            Assert.Equal("ObjectConverterShim", converter.GetType().Name);
            var request = new LoadRequest("events", 7, 5, TimeSpan.FromSeconds(30));
            var completion = new LoadCompletion(7, false, "Databend error 1025: Unknown table", 1, 2, 3, 4_000_000_000L);

            string requestJson = converter.Serialize(request)!;
            string completionJson = converter.Serialize(completion)!;

            Assert.Equal(request, converter.Deserialize<LoadRequest>(requestJson));
            Assert.Equal(completion, converter.Deserialize<LoadCompletion>(completionJson));
            // A TimeSpan is written as its invariant text, which the orchestrator's retry policy reads back exactly.
            Assert.Equal("00:00:30", JsonNode.Parse(requestJson)!.AsObject().Single(p => p.Key.Equals("FirstRetryDelay", StringComparison.OrdinalIgnoreCase)).Value!.GetValue<string>());
        }
    }

    [Fact]
    public void The_scheduler_state_round_trips_through_the_app_s_converter()
    {
        DataConverter converter = AppConverter(out IHost host);
        using (host)
        {
            var now = new DateTimeOffset(2026, 11, 29, 18, 0, 0, TimeSpan.Zero);
            var state = new TableLoadSchedule();
            Assert.Equal(1, state.Schedule(3, now, TimeSpan.FromHours(1)));
            Assert.Null(state.Schedule(2, now.AddSeconds(1), TimeSpan.FromHours(1)));

            TableLoadSchedule copy = converter.Deserialize<TableLoadSchedule>(converter.Serialize(state))!;

            Assert.Equal(
                (state.Running, state.Run, state.RunningSince, state.RunAgain, state.FilesWaiting, state.FailedRuns, state.LastCompleted, state.LastError),
                (copy.Running, copy.Run, copy.RunningSince, copy.RunAgain, copy.FilesWaiting, copy.FailedRuns, copy.LastCompleted, copy.LastError));
            // The copy behaves as the original: the run it reports is the one it started.
            Assert.Null(copy.Complete(LoadCompletion.Failure(0, "stale run"), now));
            Assert.Equal(2, copy.Complete(new LoadCompletion(1, true, null, 1, 0, 0, 10), now.AddSeconds(2)));
        }
    }

    [Fact]
    public void The_converter_reads_the_field_names_as_written_by_another_casing()
    {
        // The worker's serializer writes PascalCase and reads either casing, so state saved by an
        // app whose converter wrote camelCase (a custom WorkerOptions.Serializer) still loads.
        // JsonDataConverter.Default, which a plain Durable Task worker uses, would read camelCase
        // as all defaults (Run 0, Succeeded false): a test of the loader under another converter
        // than the app's would prove nothing about this.
        DataConverter converter = AppConverter(out IHost host);
        using (host)
        {
            LoadCompletion? pascal = converter.Deserialize<LoadCompletion>("""{"Run":3,"Succeeded":true,"Error":null,"FilesLoaded":1,"FilesSkipped":0,"FilesQuarantined":0,"RowsLoaded":5}""");
            LoadCompletion? camel = converter.Deserialize<LoadCompletion>("""{"run":3,"succeeded":true,"error":null,"filesLoaded":1,"filesSkipped":0,"filesQuarantined":0,"rowsLoaded":5}""");

            Assert.Equal(new LoadCompletion(3, true, null, 1, 0, 0, 5), pascal);
            Assert.Equal(pascal, camel);
            TestContext.Current.SendDiagnosticMessage($"{converter.GetType().FullName} writes {converter.Serialize(pascal)}");
        }
    }
}
