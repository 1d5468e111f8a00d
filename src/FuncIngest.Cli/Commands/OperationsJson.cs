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

/// <summary>One row of <c>funcingest deadletter list --json</c> and <c>replay --json</c> (outcome and new reason only for replay).</summary>
internal sealed record DeadLetterRow(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("dead_lettered_at")] DateTimeOffset? DeadLetteredAt,
    [property: JsonPropertyName("outcome"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Outcome,
    [property: JsonPropertyName("new_reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NewReason);

/// <summary>One row of <c>funcingest ledger list --json</c>.</summary>
internal sealed record LedgerRow(
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("next_offset")] long NextOffset,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("updated_at")] DateTime? UpdatedAt);

/// <summary>Source-generated JSON for the quarantine, dead-letter and ledger commands.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<QuarantineRow>))]
[JsonSerializable(typeof(List<ReleaseRow>))]
[JsonSerializable(typeof(List<DeadLetterRow>))]
[JsonSerializable(typeof(List<LedgerRow>))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
