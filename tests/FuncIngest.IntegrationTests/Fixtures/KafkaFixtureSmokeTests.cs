using System.Net.Sockets;
using Confluent.Kafka;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.IntegrationTests.Fixtures;

public sealed class KafkaFixtureSmokeTests(KafkaFixture kafka)
{
    private const int Partitions = 4;
    private const int Records = 10_000;

    [Fact]
    public async Task Brokers_listen_on_loopback_tcp()
    {
        string[] brokers = kafka.BootstrapServers.Split(',');
        Assert.NotEmpty(brokers);
        foreach (string broker in brokers)
        {
            string[] hostPort = broker.Split(':');
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
            Assert.True(tcp.Connected);
        }
    }

    [Fact]
    public async Task Group_consumer_reads_every_record_once_and_resumes_from_committed_offsets()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string topic = kafka.CreateTopic("smoke", Partitions);
        string group = KafkaFixture.UniqueName("smoke-group");
        IReadOnlyDictionary<int, int> produced = await kafka.ProduceAsync(topic, Partitions, Records, cancellationToken: ct);
        Assert.Equal(Enumerable.Repeat(Records / Partitions, Partitions), produced.OrderBy(p => p.Key).Select(p => p.Value));

        var seen = new HashSet<(int Partition, long Offset)>();

        // First member: read about half, commit exactly what it read, leave the group.
        int firstRun = ConsumeAndCommit(topic, group, Records / 2, seen, ct);
        Assert.Equal(Records / 2, firstRun);
        IReadOnlyDictionary<int, Offset> committed = kafka.CommittedOffsets(group, topic, Partitions);
        Assert.Equal(Records / 2, committed.Values.Sum(o => o == Offset.Unset ? 0 : o.Value));

        // Second member of the same group: must start at the committed offsets, so it reads
        // exactly the rest; any re-read would show up as a duplicate in `seen`.
        int secondRun = ConsumeAndCommit(topic, group, Records - firstRun, seen, ct);
        Assert.Equal(Records - firstRun, secondRun);
        Assert.Equal(Records, seen.Count);
        foreach (int p in Enumerable.Range(0, Partitions))
        {
            Assert.Equal(Records / Partitions, seen.Count(s => s.Partition == p));
            Assert.Equal(Records / Partitions - 1, seen.Where(s => s.Partition == p).Max(s => s.Offset));
        }

        IReadOnlyDictionary<int, Offset> final = kafka.CommittedOffsets(group, topic, Partitions);
        Assert.All(final.Values, o => Assert.Equal(Records / Partitions, o.Value));
    }

    private int ConsumeAndCommit(string topic, string group, int want, HashSet<(int, long)> seen, CancellationToken ct)
    {
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(kafka.ConsumerConfig(group)).Build();
        consumer.Subscribe(topic);
        var last = new Dictionary<int, TopicPartitionOffset>();
        int read = 0;
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (read < want && DateTime.UtcNow < deadline)
        {
            ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            ct.ThrowIfCancellationRequested();
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            Assert.True(seen.Add((result.Partition.Value, result.Offset.Value)), $"Record {result.TopicPartitionOffset} was delivered twice.");
            last[result.Partition.Value] = new TopicPartitionOffset(result.TopicPartition, result.Offset + 1);
            read++;
        }

        consumer.Commit(last.Values);
        consumer.Close();
        return read;
    }
}
