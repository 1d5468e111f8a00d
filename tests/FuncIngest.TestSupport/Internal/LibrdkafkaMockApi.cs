using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace FuncIngest.TestSupport.Internal;

/// <summary>
/// P/Invoke bindings to librdkafka's mock cluster API (rdkafka_mock.h), resolved from the very
/// file Confluent.Kafka loaded. On Debian 12 the default librdkafka.so needs libsasl2.so.3,
/// which is absent, so Confluent.Kafka falls back to centos8-librdkafka.so; binding by name
/// would load a second, different copy (or fail), so we look the loaded path up instead.
/// </summary>
internal static unsafe class LibrdkafkaMockApi
{
    private const int ProducerType = 0; // RD_KAFKA_PRODUCER
    private static readonly Lazy<Functions> s_functions = new(Bind);

    public static string LoadedLibraryPath => s_functions.Value.Path;

    public static nint CreateHandle()
    {
        Functions f = s_functions.Value;
        nint conf = f.ConfNew();
        SetConf(f, conf, "log_level", "3");
        byte* errstr = stackalloc byte[512];
        nint rk = f.New(ProducerType, conf, errstr, 512);
        if (rk == 0)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8((nint)errstr));
        }

        return rk;
    }

    public static nint CreateCluster(nint handle, int brokerCount)
    {
        nint cluster = s_functions.Value.MockClusterNew(handle, brokerCount);
        if (cluster == 0)
        {
            throw new InvalidOperationException("rd_kafka_mock_cluster_new returned NULL.");
        }

        return cluster;
    }

    public static string Bootstraps(nint cluster) =>
        Marshal.PtrToStringUTF8(s_functions.Value.MockClusterBootstraps(cluster))
            ?? throw new InvalidOperationException("rd_kafka_mock_cluster_bootstraps returned NULL.");

    public static void CreateTopic(nint cluster, string topic, int partitions, int replicationFactor)
    {
        byte[] name = Encoding.UTF8.GetBytes(topic + "\0");
        int err;
        fixed (byte* p = name)
        {
            err = s_functions.Value.MockTopicCreate(cluster, p, partitions, replicationFactor);
        }

        if (err != 0)
        {
            throw new InvalidOperationException($"rd_kafka_mock_topic_create('{topic}', {partitions}) failed: {(ErrorCode)err}.");
        }
    }

    public static void SetInitialRebalanceDelay(nint cluster, int milliseconds) =>
        s_functions.Value.MockGroupInitialRebalanceDelayMs(cluster, milliseconds);

    public static void DestroyCluster(nint cluster) => s_functions.Value.MockClusterDestroy(cluster);

    public static void DestroyHandle(nint handle) => s_functions.Value.Destroy(handle);

    private static void SetConf(Functions f, nint conf, string name, string value)
    {
        byte[] n = Encoding.UTF8.GetBytes(name + "\0");
        byte[] v = Encoding.UTF8.GetBytes(value + "\0");
        byte* errstr = stackalloc byte[512];
        int result;
        fixed (byte* pn = n, pv = v)
        {
            result = f.ConfSet(conf, pn, pv, errstr, 512);
        }

        if (result != 0)
        {
            throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: " + Marshal.PtrToStringUTF8((nint)errstr));
        }
    }

    private static Functions Bind()
    {
        // Make Confluent.Kafka pick and load its native library first.
        _ = Library.Version;
        string path = FindLoadedLibrary()
            ?? throw new InvalidOperationException("Confluent.Kafka loaded librdkafka, but no librdkafka file is mapped in this process.");
        nint lib = NativeLibrary.Load(path);
        return new Functions
        {
            Path = path,
            ConfNew = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "rd_kafka_conf_new"),
            ConfSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)NativeLibrary.GetExport(lib, "rd_kafka_conf_set"),
            New = (delegate* unmanaged<int, nint, byte*, nuint, nint>)NativeLibrary.GetExport(lib, "rd_kafka_new"),
            Destroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "rd_kafka_destroy"),
            MockClusterNew = (delegate* unmanaged<nint, int, nint>)NativeLibrary.GetExport(lib, "rd_kafka_mock_cluster_new"),
            MockClusterDestroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "rd_kafka_mock_cluster_destroy"),
            MockClusterBootstraps = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(lib, "rd_kafka_mock_cluster_bootstraps"),
            MockTopicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)NativeLibrary.GetExport(lib, "rd_kafka_mock_topic_create"),
            MockGroupInitialRebalanceDelayMs = (delegate* unmanaged<nint, int, void>)NativeLibrary.GetExport(lib, "rd_kafka_mock_group_initial_rebalance_delay_ms"),
        };
    }

    private static string? FindLoadedLibrary()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }

        foreach (string line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && line.Contains("librdkafka", StringComparison.Ordinal) && line.EndsWith(".so", StringComparison.Ordinal))
            {
                return line[slash..];
            }
        }

        return null;
    }

    private sealed class Functions
    {
        public required string Path { get; init; }
        public required delegate* unmanaged<nint> ConfNew { get; init; }
        public required delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> ConfSet { get; init; }
        public required delegate* unmanaged<int, nint, byte*, nuint, nint> New { get; init; }
        public required delegate* unmanaged<nint, void> Destroy { get; init; }
        public required delegate* unmanaged<nint, int, nint> MockClusterNew { get; init; }
        public required delegate* unmanaged<nint, void> MockClusterDestroy { get; init; }
        public required delegate* unmanaged<nint, nint> MockClusterBootstraps { get; init; }
        public required delegate* unmanaged<nint, byte*, int, int, int> MockTopicCreate { get; init; }
        public required delegate* unmanaged<nint, int, void> MockGroupInitialRebalanceDelayMs { get; init; }
    }
}
