namespace FuncIngest.Operations;

/// <summary>Which quarantined files to release: all of them, one partition's, or one file.</summary>
/// <param name="Topic">Only files of this topic (with <paramref name="Partition"/>).</param>
/// <param name="Partition">Only files of this partition (with <paramref name="Topic"/>).</param>
/// <param name="File">Only this file: its full path, or its file name (<c>{first:D20}-{last:D20}.ndjson.zst</c>) when unique.</param>
public sealed record QuarantineSelection(string? Topic = null, int? Partition = null, string? File = null)
{
    /// <summary>Every quarantined file of the table.</summary>
    public static QuarantineSelection All { get; } = new();

    /// <summary>True when <paramref name="file"/> is selected.</summary>
    public bool Matches(QuarantinedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (File is not null)
        {
            return string.Equals(file.Name.Path, File, StringComparison.Ordinal)
                || file.Name.Path.EndsWith("/" + File.TrimStart('/'), StringComparison.Ordinal);
        }

        return (Topic is null || string.Equals(file.Name.Topic, Topic, StringComparison.Ordinal))
            && (Partition is null || file.Name.Partition == Partition);
    }

    /// <inheritdoc />
    public override string ToString() =>
        File is not null ? $"file {File}" : Topic is not null ? $"topic {Topic} partition {Partition}" : "all files";
}
