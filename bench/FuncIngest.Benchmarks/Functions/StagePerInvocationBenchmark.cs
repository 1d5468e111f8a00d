using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Storage.Blobs;
using SqlClient = Databend.Client.DatabendClient;
using FuncIngest.Loading;
using FuncIngest.Records;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.Benchmarks.Functions;

/// <summary>
/// The Functions path, in process: what the <c>Ingest</c> function does per invocation (one
/// <see cref="BatchStager.StageAsync(IReadOnlyList{FuncIngest.Records.IngestRecord}, CancellationToken)"/> of the trigger's batch, taking each partition's lock and
/// listing its coverage every time), then what the load activity does (<see cref="TableLoader"/>)
/// against the Databend emulator. Counts this process's CPU and the Blob requests of our client.
/// </summary>
public static class StagePerInvocationBenchmark
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    /// <summary><c>functions --records N --value-bytes B --batch-records R --partitions P --hold true|false</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        int records = 100_000, valueBytes = 200, batchRecords = 1000, partitions = 1;
        bool hold = false;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--records": records = int.Parse(args[i + 1], s_inv); break;
                case "--value-bytes": valueBytes = int.Parse(args[i + 1], s_inv); break;
                case "--batch-records": batchRecords = int.Parse(args[i + 1], s_inv); break;
                case "--partitions": partitions = int.Parse(args[i + 1], s_inv); break;
                case "--hold": hold = bool.Parse(args[i + 1]); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        try
        {
            await using DatabendEmulator databend = await DatabendEmulator.StartAsync();
            BlobContainerClient created = await azurite.CreateContainerAsync("fn");
            var counter = new BlobRequestCounter();
            var clientOptions = new BlobClientOptions();
            clientOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
            var container = new BlobContainerClient(azurite.ConnectionString, created.Name, clientOptions);
            var store = new AzureBlobStageStore(container);
            var staging = new StagingOptions { Table = "fn_" + Guid.NewGuid().ToString("N")[..10] };
            var loader = new LoaderOptions { StageName = "s_" + Guid.NewGuid().ToString("N")[..10] };
            using (var setup = new SqlClient(databend.Dsn))
            {
                await DatabendSetup.EnsureAsync(setup, staging, loader,
                    new AzureStageConnection(azurite.BlobEndpoint.ToString(), AzuriteFixture.AccountName, AzuriteFixture.AccountKey, container.Name));
            }

            var stager = new BatchStager(store, staging);
            string pad = new('x', Math.Max(0, valueBytes - 40));
            long[] next = new long[partitions];
            List<IngestRecord> Batch(string topic)
            {
                var batch = new List<IngestRecord>(batchRecords);
                for (int i = 0; i < batchRecords; i++)
                {
                    int p = i % partitions;
                    long o = next[p]++;
                    batch.Add(new IngestRecord(topic, p, o, Encoding.UTF8.GetBytes(string.Create(s_inv, $"k{o}")),
                        Encoding.UTF8.GetBytes(string.Create(s_inv, $"{{\"n\":{o},\"at\":{1_700_000_000 + o},\"pad\":\"{pad}\"}}")),
                        DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + o), RecordTimestampType.CreateTime));
                }

                return batch;
            }

            if (hold)
            {
                stager.HoldPartitions(Enumerable.Range(0, partitions).Select(p => ("bench", p)));
            }

            // Warm-up (JIT, connections): a few batches, staged and loaded, not counted.
            for (int w = 0; w < 20; w++)
            {
                await stager.StageAsync(Batch("bench"));
            }

            await new TableLoader(() => new SqlClient(databend.Dsn), store, staging, loader).LoadAllAsync();

            int batches = records / batchRecords;
            TimeSpan cpu = TimeSpan.Zero;
            long requestsBefore = counter.Count;
            int files = 0;
            var wall = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
            {
                List<IngestRecord> batch = Batch("bench");
                TimeSpan before = Process.GetCurrentProcess().TotalProcessorTime;
                StageBatchResult result = await stager.StageAsync(batch);
                cpu += Process.GetCurrentProcess().TotalProcessorTime - before;
                files += result.Files.Count;
            }

            TimeSpan stageWall = wall.Elapsed;
            long stageRequests = counter.Count - requestsBefore;
            int staged = batches * batchRecords;

            long loadRequestsBefore = counter.Count;
            TimeSpan loadCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var loadWall = Stopwatch.StartNew();
            long rows = 0;
            while (true)
            {
                LoadResult load = await new TableLoader(() => new SqlClient(databend.Dsn), store, staging, loader).LoadAllAsync();
                rows += load.RowsLoaded;
                if (load.Loaded.Count == 0)
                {
                    break;
                }
            }

            TimeSpan loadCpu = Process.GetCurrentProcess().TotalProcessorTime - loadCpuBefore;
            long loadRequests = counter.Count - loadRequestsBefore;
            double perMillion = 1_000_000.0 / staged;
            Console.WriteLine(string.Create(s_inv, $"functions: {staged} records of {valueBytes} B in {batches} invocations of {batchRecords} records over {partitions} partition(s), held locks {hold}, {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
            Console.WriteLine(string.Create(s_inv, $"staging: {cpu.TotalSeconds:0.00} CPU-s ({staged / cpu.TotalSeconds:0} records per CPU-s, {cpu.TotalMilliseconds / batches:0.0} ms CPU per invocation), {stageWall.TotalSeconds:0.0} s wall ({stageWall.TotalMilliseconds / batches:0.0} ms per invocation), {stageRequests} Blob requests ({(double)stageRequests / batches:0.0} per invocation, {(double)stageRequests / batches / partitions:0.0} per partition per invocation), {files} files"));
            Console.WriteLine(string.Create(s_inv, $"loading: {rows} rows, {loadCpu.TotalSeconds:0.00} CPU-s including the in-process emulator, {loadWall.Elapsed.TotalSeconds:0.0} s wall, {loadRequests} Blob requests from the loader (Databend's own reads of the files not counted)"));
            Console.WriteLine(string.Create(s_inv, $"per million records: staging {cpu.TotalSeconds * perMillion:0.0} CPU-s and {stageRequests * perMillion:0} Blob requests in {batches * perMillion:0} invocations; loading {loadCpu.TotalSeconds * perMillion:0.0} CPU-s (upper bound) and {loadRequests * perMillion:0} Blob requests, {files * perMillion:0} files for Databend to read"));
            return rows >= staged ? 0 : 1;
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
