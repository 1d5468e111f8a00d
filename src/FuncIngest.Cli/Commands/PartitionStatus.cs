using System.Text.Json.Serialization;

namespace FuncIngest.Cli.Commands;

/// <summary>One row of <c>funcingest status</c>.</summary>
internal sealed record PartitionStatus(
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("end_offset")] long EndOffset,
    [property: JsonPropertyName("loaded_next_offset")] long LoadedNextOffset,
    [property: JsonPropertyName("lag")] long Lag,
    [property: JsonPropertyName("staged_files")] int StagedFiles,
    [property: JsonPropertyName("dead_letter_files")] int DeadLetterFiles,
    [property: JsonPropertyName("quarantined_files")] int QuarantinedFiles);

/// <summary>The whole <c>funcingest status --json</c> document.</summary>
internal sealed record StatusReport(
    [property: JsonPropertyName("table")] string Table,
    [property: JsonPropertyName("partitions")] List<PartitionStatus> Partitions);

/// <summary>Source-generated JSON for status output.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(PartitionStatus))]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
