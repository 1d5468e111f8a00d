using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>Helpers to build batches and read back what the stage holds.</summary>
internal static class StageTestKit
{
    public static List<IngestRecord> MakeRecords(string topic, int partition, long from, long to, Func<long, string>? value = null) =>
        [.. Enumerable.Range(0, (int)(to - from + 1)).Select(i => from + i).Select(o => new IngestRecord(
            topic, partition, o, Encoding.UTF8.GetBytes($"k{o}"), Encoding.UTF8.GetBytes(value?.Invoke(o) ?? $"{{\"n\":{o}}}"),
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + o), RecordTimestampType.CreateTime))];

    public static async Task<List<StageFileName>> StagedFilesAsync(BlobContainerClient container, string prefix)
    {
        var names = new List<StageFileName>();
        await foreach (BlobItem blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
        {
            if (StageFileName.TryParse(blob.Name, out StageFileName? name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    public static async Task<List<JsonNode>> ReadLinesAsync(BlobContainerClient container, StageFileName name)
    {
        using MemoryStream raw = new();
        await container.GetBlobClient(name.Path).DownloadToAsync(raw);
        raw.Position = 0;
        using Stream decompressed = StageFiles.Decompress(raw, name.Compression);
        using var reader = new StreamReader(decompressed, Encoding.UTF8);
        string text = await reader.ReadToEndAsync();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return [.. text.TrimEnd('\n').Split('\n').Select(l => JsonNode.Parse(l)!)];
    }

    /// <summary>Asserts the partition's files are disjoint and together hold every offset in [from, to] exactly once.</summary>
    public static async Task AssertExactlyOnceAsync(BlobContainerClient container, StageLayout layout, string topic, int partition, long from, long to)
    {
        List<StageFileName> files = await StagedFilesAsync(container, layout.PartitionFolder(topic, partition));
        var offsets = new List<long>();
        foreach (StageFileName file in files.OrderBy(f => f.FirstOffset))
        {
            foreach (JsonNode line in await ReadLinesAsync(container, file))
            {
                long offset = (long)line["koffset"]!;
                Assert.InRange(offset, file.FirstOffset, file.LastOffset);
                offsets.Add(offset);
            }
        }

        for (int i = 1; i < files.Count; i++)
        {
            StageFileName[] sorted = [.. files.OrderBy(f => f.FirstOffset)];
            Assert.True(sorted[i].FirstOffset > sorted[i - 1].LastOffset, $"Files overlap: {sorted[i - 1].Path} and {sorted[i].Path}");
        }

        Assert.Equal(offsets.Count, offsets.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, (int)(to - from + 1)).Select(i => from + i), offsets.Order());
    }
}
