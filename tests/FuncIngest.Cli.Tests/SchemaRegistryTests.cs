using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Databend.Client;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Kafka;
using FuncIngest.TestSupport.SchemaRegistry;

namespace FuncIngest.Cli.Tests;

/// <summary>Avro topics end to end: Kafka (mock cluster), the test registry on loopback, the stage (Azurite) and Databend (emulator).</summary>
public sealed class SchemaRegistryTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private const string Schema = """
        {"type":"record","name":"Event","fields":[
          {"name":"n","type":"long"},
          {"name":"extra","type":["null","string"],"default":null},
          {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}}
        ]}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Avro_values_dead_lettered_before_the_registry_was_configured_load_on_replay_after_it_is()
    {
        await using TestSchemaRegistry registry = await TestSchemaRegistry.StartAsync();
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: true);
        // Odd offsets Avro, even ones plain JSON: the JSON records load and carry the ledger past the Avro ones.
        List<byte[]> avro = await SerializeAsync(registry, bed.Topic, 21);
        byte[] Value(int i) => i % 2 == 1 ? avro[i] : System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}");
        await kafka.ProduceAsync(bed.Topic, 1, 21, Value, Ct);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        Assert.True((await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit == 0);
        (_, string list) = await bed.CliAsync(Ct, "deadletter", "list", "--json");
        Assert.Equal(10, JsonNode.Parse(list)!.AsArray().Count);
        Assert.Equal((11L, 11L), await OperationsTests.RawRowsAsync(bed));

        (int replayExit, string replay) = await bed.CliAsync(Ct, "deadletter", "replay",
            "--set", "FuncIngest:Staging:Encoding:ValueFormat=Auto", "--set", $"SchemaRegistryUrl={registry.Url}");

        Assert.True(replayExit == 0, replay);
        Assert.Contains("loaded 10", replay, StringComparison.Ordinal);
        Assert.Equal((21L, 21L), await OperationsTests.RawRowsAsync(bed));
        using var client = new DatabendClient(bed.Databend.Dsn);
        DatabendResult rows = await client.ExecuteAsync($"SELECT raw_data, record_metadata FROM {bed.Table} ORDER BY koffset", Ct);
        JsonNode first = JsonNode.Parse(rows.Rows[3].GetString(0))!;
        Assert.Equal(3, (long)first["n"]!);
        Assert.Equal("x3", (string?)first["extra"]);
        Assert.Equal("3.07", (string?)first["price"]);
        Assert.Equal("avro", (string?)JsonNode.Parse(rows.Rows[3].GetString(1))!["value_format"]);
    }

    [Fact]
    public async Task Produce_format_avro_then_run_in_transform_mode_maps_record_fields_to_columns_and_doctor_checks_the_registry()
    {
        await using TestSchemaRegistry registry = await TestSchemaRegistry.StartAsync();
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await OperationsTests.CreateTableAsync(bed);
        string dir = Path.GetDirectoryName(bed.SettingsFile)!;
        string schemaFile = Path.Combine(dir, "event.avsc");
        string eventsFile = Path.Combine(dir, "events.ndjson");
        await File.WriteAllTextAsync(schemaFile, Schema, Ct);
        // Avro's JSON encoding: a union's value is wrapped; bytes are a string of code points 0-255.
        await File.WriteAllLinesAsync(eventsFile, ["""{"n":1,"extra":{"string":"one"},"price":"\u0001"}""", """{"n":2,"extra":null,"price":"\u0002"}"""], Ct);
        string[] registryArgs = ["--set", $"SchemaRegistryUrl={registry.Url}"];
        string[] transform = [.. registryArgs, "--set", "FuncIngest:Staging:Encoding:Mode=Transform", "--set", "FuncIngest:Staging:Encoding:ValueFormat=Avro", "--set", "FuncIngest:Loader:MissingFieldAs=NULL"];

        (int produceExit, string produce) = await bed.CliAsync(Ct, ["produce", "--topic", bed.Topic, "--format", "avro", "--schema", schemaFile, "--file", eventsFile, .. registryArgs]);
        Assert.True(produceExit == 0, produce);
        Assert.Contains($"POST /subjects/{bed.Topic}-value/versions?normalize=False", registry.Requests);
        Assert.True((await bed.CliAsync(Ct, ["init", .. transform])).Exit == 0);
        (int runExit, string run) = await bed.CliAsync(Ct, ["run", "--exit-when-idle", "2", .. transform]);
        Assert.True(runExit == 0, run);

        using var client = new DatabendClient(bed.Databend.Dsn);
        DatabendResult rows = await client.ExecuteAsync($"SELECT n, extra FROM {bed.Table} ORDER BY n", Ct);
        Assert.Equal([(1L, "one"), (2L, (string?)null)], rows.Rows.Select(r => (r.GetInt64(0), r.IsNull(1) ? null : r.GetString(1))));

        (int okExit, string ok) = await bed.CliAsync(Ct, ["doctor", .. transform]);
        Assert.Contains($"ok      Schema Registry {registry.Url}", ok, StringComparison.Ordinal);
        registry.FailWith(503);
        (int badExit, string bad) = await bed.CliAsync(Ct, ["doctor", .. transform]);
        Assert.Equal(1, badExit);
        Assert.Contains($"PROBLEM Schema Registry {registry.Url}", bad, StringComparison.Ordinal);
        Assert.Contains("503", bad, StringComparison.Ordinal);
        Assert.True(okExit == 0, ok);
    }

    private static async Task<List<byte[]>> SerializeAsync(TestSchemaRegistry registry, string topic, int count)
    {
        var schema = (RecordSchema)Avro.Schema.Parse(Schema);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var serializer = new AvroSerializer<GenericRecord>(client);
        var values = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var record = new GenericRecord(schema);
            record.Add("n", (long)i);
            record.Add("extra", "x" + i);
            record.Add("price", new AvroDecimal(new System.Numerics.BigInteger(i * 100 + 7), 2));
            values.Add(await serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, topic)));
        }

        return values;
    }
}
