namespace FuncIngest.Staging;

/// <summary>Metadata keys FuncIngest writes on staged and dead-letter files.</summary>
public static class StageMetadata
{
    /// <summary>First offset the file covers.</summary>
    public const string FirstOffset = "funcingest_first";

    /// <summary>Last offset the file covers.</summary>
    public const string LastOffset = "funcingest_last";

    /// <summary>Number of lines (records) in the file.</summary>
    public const string LineCount = "funcingest_count";

    /// <summary>
    /// The offsets of the file's lines, in line order, as ranges (<c>0-4,6,8-9</c>); the
    /// loader uses it to trim a partly loaded file. When too long for metadata the value is
    /// <see cref="SidecarMarker"/> and the ranges are in <c>{path}.offsets</c>.
    /// </summary>
    public const string LineOffsets = "funcingest_offsets";

    /// <summary>Record mode the file was written in (raw or transform).</summary>
    public const string Mode = "funcingest_mode";

    /// <summary>Value of <see cref="LineOffsets"/> when the ranges are in a sidecar object.</summary>
    public const string SidecarMarker = "sidecar";

    /// <summary>Suffix of the sidecar object holding line offsets.</summary>
    public const string SidecarSuffix = ".offsets";

    /// <summary>Longest ranges text kept in metadata (Azure allows 8 KiB of metadata in all).</summary>
    public const int MaxInlineOffsetsLength = 6 * 1024;

    /// <summary>
    /// Largest sidecar of line offsets read back (a sidecar of 1,000,000 single offsets of 20
    /// digits is 21 MB); a bigger one is not FuncIngest's and is not read into memory.
    /// </summary>
    public const int MaxSidecarBytes = 32 * 1024 * 1024;

    /// <summary>On a quarantined file: why the loader gave up on it.</summary>
    public const string QuarantineError = "funcingest_error";
}
