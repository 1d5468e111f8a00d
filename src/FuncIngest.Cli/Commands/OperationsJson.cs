using System.Text.Json.Serialization;

namespace FuncIngest.Cli.Commands;

/// <summary>One row of <c>funcingest quarantine list --json</c>.</summary>
internal sealed record QuarantineRow(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("first_offset")] long FirstOffset,
    [property: JsonPropertyName("last_offset")] long LastOffset,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("quarantined_at")] DateTimeOffset QuarantinedAt,
    [property: JsonPropertyName("error")] string Error);

/// <summary>One row of <c>funcingest quarantine release --json</c>.</summary>
internal sealed record ReleaseRow(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("detail")] string? Detail);

/// <summary>Source-generated JSON for the quarantine and dead-letter commands.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<QuarantineRow>))]
[JsonSerializable(typeof(List<ReleaseRow>))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
