using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Databend.Client;
using Databend.Client.Internal;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.Benchmarks.DatabendClient;

/// <summary>
/// Decoding Databend query pages: the client's Utf8JsonReader decoder against a JsonDocument
/// baseline on the same bytes, and the whole client streaming a multi-page result from a
/// loopback server. Rows/s = RowsPerPage / mean time; allocations per row = Allocated / RowsPerPage.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
#pragma warning disable CA1001 // BenchmarkDotNet disposes the client and server in [GlobalCleanup].
public class ResultDecodingBenchmarks
#pragma warning restore CA1001
{
    private const int Pages = 10;
    private byte[] _page = [];
    private string[] _pageBodies = [];
    private FakeDatabendServer? _server;
    private Databend.Client.DatabendClient? _client;

    /// <summary>Rows on one page.</summary>
    [Params(10_000)]
    public int RowsPerPage { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (string, string)[] schema = [("id", "Int64"), ("name", "String"), ("ts", "Timestamp"), ("payload", "Nullable(Variant)")];
        string?[][] rows = [.. Enumerable.Range(0, RowsPerPage).Select(i => new string?[]
        {
            i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "customer-" + i,
            "2024-03-01 10:20:30.123456",
            i % 5 == 0 ? null : "{\"a\":" + i + ",\"b\":\"x\"}",
        })];
        _page = Encoding.UTF8.GetBytes(DatabendResponses.Page("bench", "Succeeded", schema, rows, nextUri: "/v1/query/bench/page/1"));
        _pageBodies = [.. Enumerable.Range(0, Pages).Select(p => DatabendResponses.Page(
            "bench", "Succeeded", schema, rows, nextUri: p + 1 < Pages ? $"/v1/query/bench/page/{p + 1}" : "final"))];

        _server = await FakeDatabendServer.StartAsync();
        _client = new Databend.Client.DatabendClient(_server.Dsn());
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Benchmark(Baseline = true, Description = "JsonDocument baseline")]
    public long DecodeWithJsonDocument()
    {
        using JsonDocument doc = JsonDocument.Parse(_page);
        long chars = 0;
        foreach (JsonElement row in doc.RootElement.GetProperty("data").EnumerateArray())
        {
            foreach (JsonElement cell in row.EnumerateArray())
            {
                chars += cell.ValueKind == JsonValueKind.Null ? 0 : cell.GetString()!.Length;
            }
        }

        return chars;
    }

    [Benchmark(Description = "QueryPageReader (client)")]
    public int DecodeWithClientReader() => QueryPageReader.Read(_page).Data.Count;

    [Benchmark(Description = "QueryAsync, 10 pages over loopback", OperationsPerInvoke = Pages)]
    public async Task<long> StreamThroughClient()
    {
        foreach (string body in _pageBodies)
        {
            _server!.ReplyJson(body);
        }

        _server!.ReplyJson(DatabendResponses.Final("bench"));
        long rows = 0;
        await foreach (DatabendRow row in _client!.QueryAsync("SELECT * FROM bench"))
        {
            rows += row.FieldCount;
        }

        return rows;
    }
}
