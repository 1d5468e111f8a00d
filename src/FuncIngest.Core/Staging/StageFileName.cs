using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FuncIngest.Staging;

/// <summary>
/// The deterministic name of a staged file:
/// <c>{prefix}/{table}/{topic}/{partition}/{first:D20}-{last:D20}.ndjson[.zst|.gz]</c>.
/// </summary>
/// <remarks>
/// The name is a function of the offsets it holds, never random: a redelivered batch maps to
/// the same name, and COPY's path-based load history and the conditional create
/// (If-None-Match: *) both see it as the same file. Offsets are zero-padded to 20 digits so
/// that the lexical order of a partition's listing is its offset order.
/// </remarks>
public sealed record StageFileName
{
    private const string NdjsonExtension = ".ndjson";

    /// <summary>Creates a name, validating every part.</summary>
    /// <exception cref="ArgumentException">A part is empty or contains a '/', the topic is not a Kafka topic name, or the offsets are out of order or the last is <see cref="long.MaxValue"/>.</exception>
    public StageFileName(string prefix, string table, string topic, int partition, long firstOffset, long lastOffset, StageCompression compression)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ThrowIfBadSegment(table, nameof(table));
        Records.KafkaTopicName.ThrowIfInvalid(topic, nameof(topic));
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfNegative(firstOffset);
        ArgumentOutOfRangeException.ThrowIfLessThan(lastOffset, firstOffset);
        // The ledger stores last + 1: a last offset of long.MaxValue would wrap it negative.
        ArgumentOutOfRangeException.ThrowIfEqual(lastOffset, long.MaxValue);
        if (prefix.StartsWith('/') || prefix.EndsWith('/') || prefix.Contains("//", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The stage prefix '{prefix}' must not start or end with '/' or contain an empty segment.", nameof(prefix));
        }

        Prefix = prefix;
        Table = table;
        Topic = topic;
        Partition = partition;
        FirstOffset = firstOffset;
        LastOffset = lastOffset;
        Compression = compression;
    }

    /// <summary>The stage prefix (may be empty, may contain '/').</summary>
    public string Prefix { get; }

    /// <summary>The target table.</summary>
    public string Table { get; }

    /// <summary>The Kafka topic.</summary>
    public string Topic { get; }

    /// <summary>The Kafka partition.</summary>
    public int Partition { get; }

    /// <summary>The first offset in the file (inclusive).</summary>
    public long FirstOffset { get; }

    /// <summary>The last offset in the file (inclusive).</summary>
    public long LastOffset { get; }

    /// <summary>The file's compression, shown by its extension.</summary>
    public StageCompression Compression { get; }

    /// <summary>The folder holding every file of this file's partition, ending with '/'.</summary>
    public string PartitionFolder => PartitionFolderOf(Prefix, Table, Topic, Partition);

    /// <summary>The full path inside the stage.</summary>
    public string Path => string.Create(CultureInfo.InvariantCulture, $"{PartitionFolder}{FirstOffset:D20}-{LastOffset:D20}{ExtensionOf(Compression)}");

    /// <summary>The folder of one partition's files, ending with '/'.</summary>
    public static string PartitionFolderOf(string prefix, string table, string topic, int partition)
    {
        string root = prefix.Length == 0 ? string.Empty : prefix + "/";
        return string.Create(CultureInfo.InvariantCulture, $"{root}{table}/{topic}/{partition}/");
    }

    /// <summary>The file extension used for a compression.</summary>
    public static string ExtensionOf(StageCompression compression) => compression switch
    {
        StageCompression.Zstd => NdjsonExtension + ".zst",
        StageCompression.Gzip => NdjsonExtension + ".gz",
        StageCompression.None => NdjsonExtension,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "Unknown compression."),
    };

    /// <summary>
    /// Parses a path produced by <see cref="Path"/>; false for anything else, including names
    /// no writer of FuncIngest produces: a topic outside Kafka's rule, a table that is not a
    /// plain identifier, or a last offset of <see cref="long.MaxValue"/> (the ledger's next
    /// offset would overflow). Stage names come from whoever can write the container.
    /// </summary>
    public static bool TryParse(string path, [NotNullWhen(true)] out StageFileName? name)
    {
        name = null;
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        string[] segments = path.Split('/');
        if (segments.Length < 4)
        {
            return false;
        }

        string file = segments[^1];
        StageCompression compression;
        if (file.EndsWith(ExtensionOf(StageCompression.Zstd), StringComparison.Ordinal))
        {
            compression = StageCompression.Zstd;
        }
        else if (file.EndsWith(ExtensionOf(StageCompression.Gzip), StringComparison.Ordinal))
        {
            compression = StageCompression.Gzip;
        }
        else if (file.EndsWith(NdjsonExtension, StringComparison.Ordinal))
        {
            compression = StageCompression.None;
        }
        else
        {
            return false;
        }

        ReadOnlySpan<char> offsets = file.AsSpan(0, file.Length - ExtensionOf(compression).Length);
        if (offsets.Length != 41 || offsets[20] != '-'
            || !long.TryParse(offsets[..20], NumberStyles.None, CultureInfo.InvariantCulture, out long first)
            || !long.TryParse(offsets[21..], NumberStyles.None, CultureInfo.InvariantCulture, out long last)
            || last < first
            || last == long.MaxValue
            || !int.TryParse(segments[^2], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
            || !Records.KafkaTopicName.IsValid(segments[^3])
            || !global::Databend.Client.DatabendSql.IsValidIdentifier(segments[^4]))
        {
            return false;
        }

        string prefix = string.Join('/', segments[..^4]);
        if (prefix.StartsWith('/') || prefix.EndsWith('/') || prefix.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        name = new StageFileName(prefix, segments[^4], segments[^3], partition, first, last, compression);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Path;

    private static void ThrowIfBadSegment(string value, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, paramName);
        if (value.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{value}' must not contain '/'.", paramName);
        }
    }
}
