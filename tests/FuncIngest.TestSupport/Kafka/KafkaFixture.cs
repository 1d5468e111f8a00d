using Confluent.Kafka;
using Xunit;

namespace FuncIngest.TestSupport.Kafka;

/// <summary>
/// One mock Kafka cluster per test assembly (register with
/// <c>[assembly: AssemblyFixture(typeof(KafkaFixture))]</c>), plus helpers that tests share.
/// Every test should create its own topics and groups (see <see cref="UniqueName"/>), so tests
/// run in parallel and never see each other's data.
/// </summary>
public sealed class KafkaFixture : IAsyncLifetime
{
    private KafkaMockCluster? _cluster;

    /// <summary>The cluster's <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => Cluster.BootstrapServers;

    /// <summary>The running cluster.</summary>
    public KafkaMockCluster Cluster => _cluster ?? throw new InvalidOperationException("The Kafka fixture is not started.");

    /// <inheritdoc />
    public ValueTask InitializeAsync()
    {
        _cluster = new KafkaMockCluster(brokerCount: 3);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _cluster?.Dispose();
        _cluster = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>A name unique to this run, for topics and groups.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Creates a topic with a unique name and returns the name.</summary>
    public string CreateTopic(string prefix, int partitions)
    {
        string topic = UniqueName(prefix);
        Cluster.CreateTopic(topic, partitions);
        return topic;
    }

    /// <summary>Producer settings: idempotent, acks=all, as FuncIngest's own producer uses.</summary>
    public ProducerConfig ProducerConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = 5,
    };

    /// <summary>Consumer settings for a group, tuned for fast group tests (short session timeout, manual commits).</summary>
    public ConsumerConfig ConsumerConfig(string groupId) => new()
    {
        BootstrapServers = BootstrapServers,
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
    };

    /// <summary>
    /// Produces <paramref name="count"/> records round-robin over <paramref name="partitions"/>
    /// partitions; value <c>{"n":i}</c>, key <c>k{i}</c>. Returns how many went to each partition.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, int>> ProduceAsync(
        string topic, int partitions, int count, Func<int, byte[]>? value = null, CancellationToken cancellationToken = default)
    {
        var perPartition = new Dictionary<int, int>();
        using IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig()).Build();
        var pending = new List<Task<DeliveryResult<byte[], byte[]>>>(count);
        for (int i = 0; i < count; i++)
        {
            var message = new Message<byte[], byte[]>
            {
                Key = System.Text.Encoding.UTF8.GetBytes($"k{i}"),
                Value = value?.Invoke(i) ?? System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"),
            };
            pending.Add(producer.ProduceAsync(new TopicPartition(topic, new Partition(i % partitions)), message, cancellationToken));
        }

        foreach (DeliveryResult<byte[], byte[]> result in await Task.WhenAll(pending).ConfigureAwait(false))
        {
            if (result.Status != PersistenceStatus.Persisted)
            {
                throw new InvalidOperationException($"Record to {result.TopicPartitionOffset} was not persisted: {result.Status}.");
            }

            perPartition[result.Partition.Value] = perPartition.GetValueOrDefault(result.Partition.Value) + 1;
        }

        return perPartition;
    }

    /// <summary>The group's committed offset per partition (<see cref="Offset.Unset"/> where none).</summary>
    public IReadOnlyDictionary<int, Offset> CommittedOffsets(string groupId, string topic, int partitions)
    {
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(ConsumerConfig(groupId)).Build();
        List<TopicPartition> tps = [.. Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, new Partition(p)))];
        return consumer.Committed(tps, TimeSpan.FromSeconds(10)).ToDictionary(t => t.Partition.Value, t => t.Offset);
    }
}
