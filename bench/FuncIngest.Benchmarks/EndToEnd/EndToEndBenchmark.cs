using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Databend.Client;
using SqlClient = Databend.Client.DatabendClient;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Benchmarks.EndToEnd;

/// <summary>
/// <c>funcingest run --exit-when-idle</c> against a plain Confluent.Kafka consumer, on the same
/// topic of the librdkafka mock cluster in the same run, with Azurite and the Databend emulator.
/// funcingest runs as a child process under <c>/usr/bin/time</c>, so its CPU time and peak RSS
/// are its own: the emulator (in this process) and Azurite (node) are not counted.
/// </summary>
public static class EndToEndBenchmark
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(EndToEndOptions options)
    {
        foreach ((string name, string dll) in options.Clis)
        {
            if (!File.Exists(dll))
            {
                await Console.Error.WriteLineAsync($"{name}: {dll} does not exist (build the CLI with -c Release first)");
                return 2;
            }
        }

        if (!File.Exists("/usr/bin/time"))
        {
            await Console.Error.WriteLineAsync("/usr/bin/time (GNU time) is needed to read the child's CPU time and peak RSS");
            return 2;
        }

        if (options.Pin && (Environment.ProcessorCount < 2 || !File.Exists(Taskset)))
        {
            await Console.Error.WriteLineAsync($"--pin needs at least 2 cores ({Environment.ProcessorCount} here) and {Taskset} (util-linux)");
            return 2;
        }

        Console.WriteLine($"e2e: {options.Records} records of {options.ValueBytes} B in {options.Partitions} partitions, batch records {options.BatchRecords?.ToString(s_inv) ?? "default"}, {Environment.ProcessorCount} cores, load average at start {LoadAverage()}");
        if (options.Pin)
        {
            Console.WriteLine($"pinned: each funcingest run on core {RunCore}, this process (mock brokers, emulator) and Azurite on cores {OthersCores} meanwhile; consume-only unpinned");
        }

        using var cluster = new KafkaMockCluster(brokerCount: 3);
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        try
        {
            await using DatabendEmulator databend = await DatabendEmulator.StartAsync();
            string topic = $"bench-{Guid.NewGuid():N}";
            cluster.CreateTopic(topic, options.Partitions);
            var produce = Stopwatch.StartNew();
            Produce(cluster.BootstrapServers, topic, options);
            Console.WriteLine($"produced in {produce.Elapsed.TotalSeconds:0.0} s");

            var floors = new List<double>();
            var results = options.Clis.ToDictionary(c => c.Name, _ => new List<RunResult>());
            for (int rep = 1; rep <= options.Repeat; rep++)
            {
                TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                double floor = ConsumeOnly(cluster.BootstrapServers, topic, options.Records);
                double floorCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                floors.Add(floor);

                // The mock cluster's brokers run in this process, so this CPU includes serving the fetches.
                Console.WriteLine(string.Create(s_inv, $"[{rep}] consume-only: {floor:0} records/s, {floorCpu:0.0} CPU-s with the mock brokers ({options.Records / floorCpu:0} records per CPU-s)"));
                foreach ((string name, string dll) in options.Clis)
                {
                    RunResult run = await RunFuncIngestAsync(name, dll, cluster.BootstrapServers, topic, azurite, databend, options);
                    results[name].Add(run);
                    Console.WriteLine($"[{rep}] {name}: {run.Describe(options.Records, floor)}");
                }
            }

            double medianFloor = Median(floors);
            Console.WriteLine();
            Console.WriteLine($"median of {options.Repeat}; consume-only {medianFloor:0} records/s; load average at end {LoadAverage()}");
            Console.WriteLine("| build | rows/s to last row | vs consume-only | rows per CPU-s (funcingest) | CPU-s | all offsets committed | time to last row | process wall | peak RSS | bench CPU-s (mock brokers, emulator) | Azurite CPU-s |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach ((string name, List<RunResult> runs) in results)
            {
                double toLast = Median(runs.Select(r => r.TimeToLastRow.TotalSeconds));
                double cpu = Median(runs.Select(r => r.CpuSeconds));
                Console.WriteLine(string.Create(s_inv,
                    $"| {name}{(runs.All(r => r.Complete) ? string.Empty : " (INCOMPLETE: rates mean nothing)")} | {options.Records / toLast:0} | {options.Records / toLast / medianFloor:0.00}x | {options.Records / cpu:0} | {cpu:0.0} | {Median(runs.Select(r => r.AllCommitted.TotalSeconds)):0.0} s | {toLast:0.0} s | {Median(runs.Select(r => r.Wall.TotalSeconds)):0.0} s | {Median(runs.Select(r => r.PeakRssMb)):0} MB | {Median(runs.Select(r => r.BenchProcessCpuSeconds)):0.0} | {Median(runs.Select(r => r.AzuriteCpuSeconds)):0.0} |"));
            }

            return results.Values.SelectMany(r => r).All(r => r.Complete) ? 0 : 1;
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    private static void Produce(string bootstrap, string topic, EndToEndOptions options)
    {
        // Compressed: the mock cluster keeps about 5 MB per partition and drops older segments
        // beyond that, so uncompressed values would be gone before they are read.
        var config = new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 20, BatchSize = 1_000_000, CompressionType = CompressionType.Lz4 };
        using IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        string pad = new('x', Math.Max(0, options.ValueBytes - 40));
        Exception? failure = null;
        for (int i = 0; i < options.Records; i++)
        {
            var message = new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes(string.Create(s_inv, $"k{i}")),
                Value = Encoding.UTF8.GetBytes(string.Create(s_inv, $"{{\"n\":{i},\"at\":{1_700_000_000 + i},\"pad\":\"{pad}\"}}")),
            };
            while (true)
            {
                try
                {
                    producer.Produce(new TopicPartition(topic, new Partition(i % options.Partitions)), message, r =>
                    {
                        if (r.Error.IsError)
                        {
                            failure ??= new KafkaException(r.Error);
                        }
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(5));
        if (failure is not null)
        {
            throw new InvalidOperationException("producing failed", failure);
        }

        using IConsumer<byte[], byte[]> check = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench-check" }).Build();
        for (int p = 0; p < options.Partitions; p++)
        {
            WatermarkOffsets marks = check.QueryWatermarkOffsets(new TopicPartition(topic, new Partition(p)), TimeSpan.FromSeconds(10));
            if (marks.Low.Value != 0)
            {
                throw new InvalidOperationException($"the mock cluster dropped the first {marks.Low.Value} records of partition {p} (it keeps about 5 MB per partition): use more partitions or fewer records");
            }
        }
    }

    /// <summary>The floor: a plain consumer in a fresh group reading everything, records per second.</summary>
    private static double ConsumeOnly(string bootstrap, string topic, int records)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"floor-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        };
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Subscribe(topic);
        var clock = Stopwatch.StartNew();
        int seen = 0;
        long bytes = 0;
        while (seen < records)
        {
            ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException($"consume-only saw {seen} of {records} records");
            bytes += result.Message.Value.Length;
            seen++;
        }

        double rate = records / clock.Elapsed.TotalSeconds;
        consumer.Close();
        return bytes > 0 ? rate : 0;
    }

    private static async Task<RunResult> RunFuncIngestAsync(
        string name, string dll, string bootstrap, string topic, AzuriteFixture azurite, DatabendEmulator databend, EndToEndOptions options)
    {
        string table = "bench_" + Guid.NewGuid().ToString("N")[..10];
        string dir = Directory.CreateTempSubdirectory("funcingest-bench-").FullName;
        string settings = Path.Combine(dir, "local.settings.json");
        var values = new JsonObject
        {
            ["KafkaBrokerList"] = bootstrap,
            ["KafkaTopics"] = topic,
            ["KafkaConsumerGroup"] = "g-" + table,
            ["KafkaSessionTimeoutMs"] = "6000",
            ["DatabendDsn"] = databend.Dsn,
            ["StageConnectionString"] = azurite.ConnectionString,
            ["StageContainer"] = "c-" + table.Replace('_', '-'),
            ["FuncIngest__Staging__Table"] = table,
            ["FuncIngest__Loader__StageName"] = "s_" + table,
        };
        if (options.BatchRecords is int batch)
        {
            values["FuncIngest__Run__MaxBatchRecords"] = batch.ToString(s_inv);
        }

        foreach ((string key, string value) in options.Settings.Concat(options.CliSettings.GetValueOrDefault(name) ?? []))
        {
            values[key] = value;
        }

        await File.WriteAllTextAsync(settings, new JsonObject { ["IsEncrypted"] = false, ["Values"] = values }.ToJsonString());
        try
        {
            (int initExit, string initOutput) = await RunToEndAsync(dir, ["dotnet", dll, "init", "--settings", settings]);
            if (initExit != 0)
            {
                throw new InvalidOperationException($"{name}: funcingest init exited {initExit}: {initOutput}");
            }

            string timeFile = Path.Combine(dir, "time.txt");
            var output = new StringBuilder();
            using var client = new SqlClient(databend.Dsn);
            TimeSpan benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            double azuriteCpuBefore = CpuSecondsOf(azurite.ProcessId);
            if (options.Pin)
            {
                await PinAsync(OthersCores, Environment.ProcessId, azurite.ProcessId);
            }

            var clock = Stopwatch.StartNew();
            using Process process = Start(dir, output, clock, TimedRun(options, dll, settings, timeFile, options.Wrap));
            TimeSpan? lastRow = null;
            TimeSpan? allCommitted = null;
            using IConsumer<byte[], byte[]> offsets = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "g-" + table }).Build();
            List<TopicPartition> partitions = [.. Enumerable.Range(0, options.Partitions).Select(p => new TopicPartition(topic, new Partition(p)))];
            Task exited = process.WaitForExitAsync();
            while (!exited.IsCompleted)
            {
                // The emulator counts without copying rows; polling costs this process, not funcingest.
                if (lastRow is null && await CountAsync(client, table) >= options.Records)
                {
                    lastRow = clock.Elapsed;
                }

                // Everything staged: the group's committed offsets reach the end (staging apart from loading).
                if (allCommitted is null && offsets.Committed(partitions, TimeSpan.FromSeconds(5)).Sum(o => Math.Max(0, o.Offset.Value)) >= options.Records)
                {
                    allCommitted = clock.Elapsed;
                }

                await Task.WhenAny(exited, Task.Delay(100));
            }

            TimeSpan wall = clock.Elapsed;
            await process.WaitForExitAsync();
            if (options.Pin)
            {
                await PinAsync(AllCores, Environment.ProcessId, azurite.ProcessId);
            }

            double benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore).TotalSeconds;
            double azuriteCpu = CpuSecondsOf(azurite.ProcessId) - azuriteCpuBefore;
            long rows = await CountAsync(client, table);
            lastRow ??= rows >= options.Records ? wall : null;
            (double cpu, double peakRssMb) = await ReadTimeAsync(timeFile);
            if (process.ExitCode != 0 || rows != options.Records)
            {
                await Console.Error.WriteLineAsync($"{name}: exit {process.ExitCode}, {rows} rows of {options.Records}; output:\n{output}");
            }
            else if (options.ShowOutput)
            {
                Console.WriteLine(output.ToString());
            }

            (TimeSpan, double, double, long)? reread = null;
            if (options.Reread)
            {
                if (options.Pin)
                {
                    await PinAsync(OthersCores, Environment.ProcessId, azurite.ProcessId);
                }

                var again = Stopwatch.StartNew();
                var againOutput = new StringBuilder();
                using Process second = Start(dir, againOutput, [.. TimedRun(options, dll, settings, timeFile, wrap: []), "--set", "KafkaConsumerGroup=g2-" + table]);
                await second.WaitForExitAsync();
                TimeSpan againWall = again.Elapsed;
                if (options.Pin)
                {
                    await PinAsync(AllCores, Environment.ProcessId, azurite.ProcessId);
                }

                (double againCpu, double againRssMb) = await ReadTimeAsync(timeFile);
                long againRows = await CountAsync(client, table);
                if (second.ExitCode != 0 || againRows != options.Records)
                {
                    await Console.Error.WriteLineAsync($"{name} (read again): exit {second.ExitCode}, {againRows} rows of {options.Records}; output:\n{againOutput}");
                }
                else if (options.ShowOutput)
                {
                    Console.WriteLine(againOutput.ToString());
                }

                reread = (againWall, againCpu, againRssMb, againRows);
            }

            return new RunResult(
                rows == options.Records && process.ExitCode == 0,
                rows,
                allCommitted ?? wall,
                lastRow ?? wall,
                wall,
                cpu,
                peakRssMb,
                benchCpu,
                azuriteCpu)
            {
                Reread = reread,
            };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary><c>funcingest run</c> under GNU time (pinned with <c>--pin</c>), which writes wall, user, system seconds and peak RSS (KiB) to <paramref name="timeFile"/>.</summary>
    private static string[] TimedRun(EndToEndOptions options, string dll, string settings, string timeFile, string[] wrap) =>
    [
        "/usr/bin/time", "-f", "%e %U %S %M", "-o", timeFile,
        .. options.Pin ? (string[])[Taskset, "-c", RunCore] : [],
        .. wrap,
        "dotnet", dll, "run", "--exit-when-idle", options.ExitWhenIdleSeconds.ToString(s_inv), "--settings", settings,
    ];

    /// <summary>CPU-s (user + system) and peak RSS in MB from what <see cref="TimedRun"/> wrote.</summary>
    private static async Task<(double CpuSeconds, double PeakRssMb)> ReadTimeAsync(string timeFile)
    {
        string[] time = (await File.ReadAllTextAsync(timeFile)).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[^4..];
        return (double.Parse(time[1], s_inv) + double.Parse(time[2], s_inv), double.Parse(time[3], s_inv) / 1024);
    }

    private static async Task<long> CountAsync(SqlClient client, string table)
    {
        try
        {
            DatabendResult result = await client.ExecuteAsync($"SELECT count(*) FROM {table}");
            return result.Rows[0].GetInt64(0);
        }
        catch (DatabendException)
        {
            // Not created yet.
            return 0;
        }
    }

    private static Process Start(string directory, StringBuilder output, string[] command) => Start(directory, output, clock: null, command);

    private static Process Start(string directory, StringBuilder output, Stopwatch? clock, string[] command)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // appsettings.json or local.settings.json of the current directory must not leak in.
            WorkingDirectory = directory,
        };
        foreach (string arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(clock is null ? line : string.Create(s_inv, $"{clock.Elapsed.TotalSeconds,7:0.000} {line}"));
                }
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(int Exit, string Output)> RunToEndAsync(string directory, string[] command)
    {
        var output = new StringBuilder();
        using Process process = Start(directory, output, command);
        await process.WaitForExitAsync();
        process.WaitForExit();
        return (process.ExitCode, output.ToString());
    }

    private const string Taskset = "/usr/bin/taskset";

    private static string RunCore => (Environment.ProcessorCount - 1).ToString(s_inv);

    private static string OthersCores => Environment.ProcessorCount == 2 ? "0" : string.Create(s_inv, $"0-{Environment.ProcessorCount - 2}");

    private static string AllCores => string.Create(s_inv, $"0-{Environment.ProcessorCount - 1}");

    /// <summary>Sets the cores of every thread of these processes (threads started later inherit them).</summary>
    private static async Task PinAsync(string cores, params int?[] pids)
    {
        foreach (int pid in pids.OfType<int>())
        {
            var output = new StringBuilder();
            using Process taskset = Start(Environment.CurrentDirectory, output, [Taskset, "-a", "-p", "-c", cores, pid.ToString(s_inv)]);
            await taskset.WaitForExitAsync();
            if (taskset.ExitCode != 0)
            {
                throw new InvalidOperationException($"taskset -a -p -c {cores} {pid} exited {taskset.ExitCode}: {output}");
            }
        }
    }

    /// <summary>User + system CPU of another process from <c>/proc/PID/stat</c> (fields 14 and 15, in clock ticks of 1/100 s on Linux).</summary>
    private static double CpuSecondsOf(int? pid)
    {
        string path = $"/proc/{pid}/stat";
        if (pid is null || !File.Exists(path))
        {
            return 0;
        }

        string stat = File.ReadAllText(path);
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], s_inv) + long.Parse(fields[12], s_inv)) / 100.0;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
