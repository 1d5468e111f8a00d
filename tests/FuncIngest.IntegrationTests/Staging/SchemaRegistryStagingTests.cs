using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Schemas;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.SchemaRegistry;
using static FuncIngest.IntegrationTests.Staging.StageTestKit;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>A batch of Avro values through the stager, with the registry failing and recovering (fault injection).</summary>
public sealed class SchemaRegistryStagingTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_registry_answering_503_fails_the_batch_with_nothing_written_and_after_it_recovers_only_bad_values_are_dead_letters()
    {
        await using TestSchemaRegistry registry = await TestSchemaRegistry.StartAsync();
        using SchemaRegistrySchemas schemas = SchemaRegistrySchemas.Create(registry.Url, maxRetries: 2, requestTimeoutMs: 5_000);
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var options = new StagingOptions { Table = "t", Prefix = string.Empty, Encoding = { ValueFormat = PayloadFormat.Avro } };
        var stager = new BatchStager(new AzureBlobStageStore(container), options, schemas: schemas);
        List<IngestRecord> batch = await AvroRecordsAsync(registry, 30);
        byte[] unknown = [0, 0, 0, 0x03, 0xE7, 2];
        byte[] truncated = batch[20].Value!.Value[..^2].ToArray();
        batch[10] = new IngestRecord("orders", 0, 10, "k10"u8.ToArray(), unknown);
        batch[20] = new IngestRecord("orders", 0, 20, "k20"u8.ToArray(), truncated);

        registry.FailWith(503);
        await Assert.ThrowsAsync<SchemaRegistryUnavailableException>(() => stager.StageAsync(batch, Ct));
        Assert.Empty(await AllBlobsAsync(container));

        registry.FailWith(0);
        StageBatchResult result = await stager.StageAsync(batch, Ct);

        Assert.Equal((28, 2), (result.StagedRecords, result.DeadLetteredRecords));
        JsonNode line = (await ReadLinesAsync(container, result.Files[0].Name))[0];
        Assert.Equal(0L, (long)line["raw_data"]!["n"]!);
        Assert.Equal("avro", (string?)line["record_metadata"]!["value_format"]);
        List<StageFileName> letters = await StagedFilesAsync(container, stager.Layout.DeadLetterFolder("orders", 0));
        List<JsonNode> dead = [.. (await Task.WhenAll(letters.Select(l => ReadLinesAsync(container, l)))).SelectMany(l => l).OrderBy(l => (long)l["offset"]!)];
        Assert.Equal(["UnknownSchemaId", "UndecodableValue"], dead.Select(d => (string?)d["reason"]));
        Assert.Equal(Convert.ToBase64String(unknown), (string?)dead[0]["value"]);
        Assert.Equal(Convert.ToBase64String(truncated), (string?)dead[1]["value"]);
        Assert.Equal(Convert.ToBase64String("k20"u8), (string?)dead[1]["key"]);
    }

    [Fact]
    public void A_format_that_reads_the_registry_without_one_is_refused_at_start()
    {
        var options = new StagingOptions { Table = "t", Encoding = { ValueFormat = PayloadFormat.Auto } };
        Assert.Equal("SchemaRegistryUrl", Assert.Throws<FuncIngestConfigurationException>(() => new BatchStager(new AzureBlobStageStore(new BlobContainerClient(azurite.ConnectionString, "x")), options)).Setting);
    }

    private static async Task<List<IngestRecord>> AvroRecordsAsync(TestSchemaRegistry registry, int count)
    {
        var schema = (RecordSchema)Avro.Schema.Parse("""{"type":"record","name":"E","fields":[{"name":"n","type":"long"},{"name":"s","type":"string"}]}""");
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var serializer = new AvroSerializer<GenericRecord>(client);
        var records = new List<IngestRecord>();
        for (int i = 0; i < count; i++)
        {
            var record = new GenericRecord(schema);
            record.Add("n", (long)i);
            record.Add("s", new string('x', i));
            byte[] value = await serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, "orders"));
            records.Add(new IngestRecord("orders", 0, i, System.Text.Encoding.UTF8.GetBytes($"k{i}"), value, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i), RecordTimestampType.CreateTime));
        }

        return records;
    }

    private static async Task<List<string>> AllBlobsAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (BlobItem blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, null, Ct))
        {
            names.Add(blob.Name);
        }

        return names;
    }
}
