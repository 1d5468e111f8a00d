using Databend.Client;
using FuncIngest.Ndjson;

namespace FuncIngest.Staging;

/// <summary>What is staged where, and how files are cut. Bound from <c>FuncIngest:Staging</c>.</summary>
public sealed class StagingOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "FuncIngest:Staging";

    /// <summary>Target table; also the stage folder under <see cref="Prefix"/>. Required.</summary>
    public string Table { get; set; } = string.Empty;

    /// <summary>
    /// Further target tables, comma-separated, that ingest functions route topics to (README,
    /// "More topics"). The sweeper and the load activity act only on <see cref="Table"/> and
    /// these: the stage's folder names are not trusted to say which tables exist.
    /// </summary>
    public string? Tables { get; set; }

    /// <summary><see cref="Table"/> and every table of <see cref="Tables"/>.</summary>
    public IReadOnlyList<string> ConfiguredTables =>
        [Table, .. (Tables ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(t => !string.Equals(t, Table, StringComparison.Ordinal))];

    /// <summary>Stage prefix inside the container. Default <c>funcingest</c>.</summary>
    public string Prefix { get; set; } = "funcingest";

    /// <summary>Compression of staged files. Default zstd.</summary>
    public StageCompression Compression { get; set; } = StageCompression.Zstd;

    /// <summary>Zstandard level (1 fastest .. 19). Default 3, zstd's own default.</summary>
    public int ZstdLevel { get; set; } = 3;

    /// <summary>Most records in one staged file. Default 100,000.</summary>
    public int MaxFileRecords { get; set; } = 100_000;

    /// <summary>Most record bytes (keys, values, headers) in one staged file before it rolls. Default 64 MiB.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Partitions of one batch staged at the same time. Default 4.</summary>
    public int MaxParallelPartitions { get; set; } = 4;

    /// <summary>How records become lines.</summary>
    public EncodingOptions Encoding { get; set; } = new();

    /// <summary>These options for another target table (a topic routed to its own table).</summary>
    /// <exception cref="FuncIngestConfigurationException"><paramref name="table"/> is not a plain identifier.</exception>
    public StagingOptions WithTable(string table)
    {
        var copy = (StagingOptions)MemberwiseClone();
        copy.Table = table;
        copy.Validate();
        return copy;
    }

    /// <summary>The stage layout these options describe.</summary>
    public StageLayout Layout => new(Prefix, Table);

    /// <summary>Checks every setting and throws naming the first wrong one.</summary>
    /// <exception cref="FuncIngestConfigurationException">A setting is missing or wrong.</exception>
    public void Validate()
    {
        if (!DatabendSql.IsValidIdentifier(Table))
        {
            throw new FuncIngestConfigurationException($"{Section}:Table",
                string.IsNullOrEmpty(Table) ? "is required: the Databend table to load into." : $"'{Table}' is not a plain identifier (letters, digits, underscores; not starting with a digit).");
        }

        foreach (string routed in ConfiguredTables.Skip(1))
        {
            if (!DatabendSql.IsValidIdentifier(routed))
            {
                throw new FuncIngestConfigurationException($"{Section}:Tables", $"'{routed}' is not a plain identifier (letters, digits, underscores; not starting with a digit).");
            }
        }

        string prefix = Prefix.Trim('/');
        if (prefix.Length > 0 && !DatabendSql.IsValidStagePath(prefix))
        {
            throw new FuncIngestConfigurationException($"{Section}:Prefix", $"'{Prefix}' may only contain letters, digits and _ . / = - .");
        }

        if (!Enum.IsDefined(Compression))
        {
            throw new FuncIngestConfigurationException($"{Section}:Compression", $"'{Compression}' is not Zstd, Gzip or None.");
        }

        if (ZstdLevel is < 1 or > 19)
        {
            throw new FuncIngestConfigurationException($"{Section}:ZstdLevel", $"must be between 1 and 19, not {ZstdLevel}.");
        }

        if (MaxFileRecords < 1)
        {
            throw new FuncIngestConfigurationException($"{Section}:MaxFileRecords", $"must be positive, not {MaxFileRecords}.");
        }

        if (MaxFileBytes < 1024)
        {
            throw new FuncIngestConfigurationException($"{Section}:MaxFileBytes", $"must be at least 1024, not {MaxFileBytes}.");
        }

        if (MaxParallelPartitions is < 1 or > 64)
        {
            throw new FuncIngestConfigurationException($"{Section}:MaxParallelPartitions", $"must be between 1 and 64, not {MaxParallelPartitions}.");
        }

        Encoding.Validate($"{Section}:Encoding");
    }
}
