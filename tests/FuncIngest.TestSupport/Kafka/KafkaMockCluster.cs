using FuncIngest.TestSupport.Internal;

namespace FuncIngest.TestSupport.Kafka;

/// <summary>
/// librdkafka's mock cluster: a Kafka-protocol broker set that runs inside librdkafka threads
/// in this process and listens on loopback TCP ports, so ordinary Confluent.Kafka clients
/// (and child processes) talk to it as to a real cluster.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    private readonly Lock _lock = new();
    private nint _handle;
    private nint _cluster;

    /// <summary>Starts a cluster with <paramref name="brokerCount"/> brokers.</summary>
    public KafkaMockCluster(int brokerCount = 3)
    {
        _handle = LibrdkafkaMockApi.CreateHandle();
        try
        {
            _cluster = LibrdkafkaMockApi.CreateCluster(_handle, brokerCount);
            BootstrapServers = LibrdkafkaMockApi.Bootstraps(_cluster);

            // Kafka brokers wait 3 s before the first rebalance of a new group; tests need none.
            LibrdkafkaMockApi.SetInitialRebalanceDelay(_cluster, 0);
        }
        catch
        {
            LibrdkafkaMockApi.DestroyHandle(_handle);
            throw;
        }
    }

    /// <summary>The <c>bootstrap.servers</c> list, loopback host:port pairs.</summary>
    public string BootstrapServers { get; }

    /// <summary>Path of the librdkafka file the cluster runs from (the one Confluent.Kafka loaded).</summary>
    public static string NativeLibraryPath => LibrdkafkaMockApi.LoadedLibraryPath;

    /// <summary>Creates a topic; the mock broker has no CreateTopics handler, so this goes through the C API.</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_cluster == 0, this);
            LibrdkafkaMockApi.CreateTopic(_cluster, topic, partitions, replicationFactor);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            if (_cluster != 0)
            {
                LibrdkafkaMockApi.DestroyCluster(_cluster);
                _cluster = 0;
            }

            if (_handle != 0)
            {
                LibrdkafkaMockApi.DestroyHandle(_handle);
                _handle = 0;
            }
        }
    }
}
