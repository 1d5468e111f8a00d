using System.CommandLine;
using Azure;
using Databend.Client;
using FuncIngest.Cli.Daemon;

namespace FuncIngest.Cli.Tests;

public sealed class CliApplicationTests
{
    private static async Task<(int Exit, string Error)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CliApplication.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return (exit, error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Help_describes_the_tool_and_exits_zero()
    {
        var output = new StringWriter();
        int exit = await CliApplication.InvokeAsync(["--help"], new InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("Databend", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-such-command")]
    [InlineData("run", "--no-such-option")]
    [InlineData("replay", "--topic", "t", "--partition", "0")]
    [InlineData("produce", "--topic", "t", "--count", "many")]
    [InlineData("status", "--set")]
    public async Task A_command_line_that_does_not_parse_is_one_line_and_exit_code_2(params string[] args)
    {
        (int exit, string error) = await InvokeAsync(args);

        Assert.Equal(2, exit);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("StageConnectionString=this is not; a connection string", "StageConnectionString")]
    [InlineData("StageConnectionString=BlobEndpoint=::not a url::;AccountName=a;AccountKey=a2V5", "StageConnectionString")]
    [InlineData("StageContainer=Not_A_Container", "StageContainer")]
    [InlineData("FuncIngest:Stage:LockTimeout=soon", "FuncIngest:Stage:LockTimeout")]
    [InlineData("FuncIngest:Stage:LockTimeout=-00:00:01", "FuncIngest:Stage:LockTimeout")]
    [InlineData("FuncIngest:Loader:MaxFilesPerLoad=lots", "FuncIngest:Loader:MaxFilesPerLoad")]
    public async Task A_wrong_setting_is_named_in_one_line_with_exit_code_2_before_anything_is_reached(string set, string setting)
    {
        (int exit, string error) = await InvokeAsync(
            "init", "--set", "FuncIngest:Staging:Table=events", "--set", "DatabendDsn=databend://u:p@127.0.0.1:1/db?sslmode=disable",
            "--set", "StageConnectionString=DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a",
            "--set", set);

        Assert.Equal(2, exit);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith($"error: Setting '{setting}'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("a2V5", line, StringComparison.Ordinal); // the account key never reaches the message
    }

    [Fact]
    public async Task A_run_setting_that_does_not_convert_is_named()
    {
        (int exit, string error) = await InvokeAsync(
            "run", "--set", "FuncIngest:Staging:Table=events", "--set", "KafkaBrokerList=127.0.0.1:1", "--set", "KafkaTopics=t", "--set", "DatabendDsn=databend://u:p@127.0.0.1:1/db?sslmode=disable",
            "--set", "StageConnectionString=DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a",
            "--set", "FuncIngest:Run:MaxBatchRecords=lots");

        Assert.Equal(2, exit);
        Assert.StartsWith("error: Setting 'FuncIngest:Run:MaxBatchRecords': 'lots' is not a number", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KafkaConsumer:no.such.property=1", "KafkaConsumer:no.such.property", "No such configuration property")]
    [InlineData("KafkaConsumer:queued.max.messages.kbytes=0", "KafkaConsumer:queued.max.messages.kbytes", "value 0 is outside allowed range 1..2097151 (names and values")]
    [InlineData("KafkaConsumer:Group.Id=other", "KafkaConsumer:Group.Id", "FuncIngest sets group.id itself (set KafkaConsumerGroup)")]
    [InlineData("KafkaConsumer:enable.auto.commit=true", "KafkaConsumer:enable.auto.commit", "committed only after their records are staged")]
    [InlineData("KafkaConsumer:topic.auto.offset.reset=latest", "KafkaConsumer:topic.auto.offset.reset", "FuncIngest sets auto.offset.reset itself")]
    [InlineData("KafkaConsumer:dotnet.consumer.consume.result.fields=none", "KafkaConsumer:dotnet.consumer.consume.result.fields", "headers, timestamp")]
    [InlineData("KafkaSessionTimeoutMs=4000000", "KafkaSessionTimeoutMs", "outside allowed range")]
    public async Task A_librdkafka_consumer_property_librdkafka_or_funcingest_refuses_stops_run_naming_it(string set, string setting, string why)
    {
        // The broker is unreachable: run must stop on the property before it waits for brokers.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (int exit, string error) = await InvokeAsync(
            "run", "--set", "FuncIngest:Staging:Table=events", "--set", "KafkaBrokerList=127.0.0.1:1", "--set", "KafkaTopics=t", "--set", "DatabendDsn=databend://u:p@127.0.0.1:1/db?sslmode=disable",
            "--set", "StageConnectionString=DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a",
            "--set", set);

        Assert.Equal(2, exit);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith($"error: Setting '{setting}'", line, StringComparison.Ordinal);
        Assert.Contains(why, line, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < IngestDaemon.KafkaStartTimeout, $"took {clock.Elapsed}: waited for brokers first");
    }

    public static TheoryData<Exception, int, string> Failures => new()
    {
        { new AggregateException(new RequestFailedException(0, "Connection refused (127.0.0.1:1)\nmore"), new RequestFailedException(0, "Connection refused (127.0.0.1:1)\nmore")), 3, "error: stage storage: cannot reach the storage endpoint (Connection refused (127.0.0.1:1)); check StageConnectionString" },
        { new RequestFailedException(404, "The specified container does not exist.\nRequestId:1\nTime:2", "ContainerNotFound", null), 3, "error: stage storage: 404 ContainerNotFound: The specified container does not exist" },
        { new FormatException("bad number\nat 3"), 3, "error: malformed data: bad number" },
        { new ArgumentException("Value cannot be empty. (Parameter 'x')"), 4, "error: unexpected ArgumentException: Value cannot be empty. (Parameter 'x') (a bug" },
        { new ArgumentNullException("connectionString"), 4, "error: unexpected ArgumentNullException" },
        { new InvalidOperationException("boom"), 4, "error: unexpected InvalidOperationException: boom" },
        { new DatabendException("cannot connect to 127.0.0.1:1"), 3, "error: Databend: cannot connect to 127.0.0.1:1; check DatabendDsn" },
        { new Confluent.Kafka.KafkaException(Confluent.Kafka.ErrorCode.Local_Transport), 3, "error: Kafka: " },
        { new FuncIngestConfigurationException("KafkaTopics", "is required."), 2, "error: Setting 'KafkaTopics': is required" },
        { new OperationCanceledException(), 130, "error: interrupted" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Every_exception_becomes_one_line_and_an_exit_code(Exception failure, int code, string start)
    {
        (int exit, string line) = CliApplication.Describe(failure, cancelled: true);

        Assert.Equal(code, exit);
        Assert.StartsWith(start, line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public async Task The_guard_turns_an_exception_of_any_type_into_one_line_and_verbose_adds_the_details()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand();
        root.Options.Add(CliApplication.Verbose);
        root.SetAction((parse, ct) => CliApplication.GuardAsync(parse, _ => throw new AggregateException(new FormatException("bad\nline")), ct));

        int quiet = await root.Parse([]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        string quietError = error.ToString();
        error.GetStringBuilder().Clear();
        int verbose = await root.Parse(["--verbose"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);

        Assert.Equal((3, 3), (quiet, verbose));
        Assert.Equal("error: malformed data: bad", Assert.Single(Lines(quietError)));
        Assert.Contains("System.AggregateException", error.ToString(), StringComparison.Ordinal);
    }
}
