namespace FuncIngest.Ndjson;

/// <summary>How records are turned into NDJSON lines.</summary>
public sealed class EncodingOptions
{
    /// <summary>Raw (default) or transform mode.</summary>
    public RecordMode Mode { get; set; } = RecordMode.Raw;

    /// <summary>
    /// Raw mode only: reject values that are not valid JSON (to the dead-letter area) instead of
    /// storing them as a JSON string. Default false.
    /// </summary>
    public bool StrictJson { get; set; }

    /// <summary>Largest record (key + value + headers) that is staged; larger ones are dead-lettered. Default 8 MiB.</summary>
    public int MaxRecordBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Deepest JSON nesting accepted as JSON, at most <see cref="MaxJsonDepthLimit"/>. Default 64.
    /// </summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>
    /// How record values are encoded: <see cref="PayloadFormat.Json"/> (default), Avro or JSON
    /// Schema through Confluent Schema Registry, or <see cref="PayloadFormat.Auto"/>. Anything but
    /// Json needs <c>SchemaRegistryUrl</c>.
    /// </summary>
    public PayloadFormat ValueFormat { get; set; } = PayloadFormat.Json;

    /// <summary>How record keys are encoded; as <see cref="ValueFormat"/>, separately. Read in raw mode only (transform mode ignores keys).</summary>
    public PayloadFormat KeyFormat { get; set; } = PayloadFormat.Json;

    /// <summary>True when values or keys may carry Schema Registry ids, so the stager needs a registry.</summary>
    public bool UsesSchemaRegistry => ValueFormat != PayloadFormat.Json || (KeyFormat != PayloadFormat.Json && Mode == RecordMode.Raw);

    /// <summary>
    /// The largest <see cref="MaxJsonDepth"/>: 126. Databend parses each NDJSON line with
    /// serde_json, whose recursion limit fails the 128th nested container of a line
    /// (serde_json src/de.rs: <c>remaining_depth: 128</c>, <c>check_recursion!</c>; Databend's
    /// src/query/storages/stage/src/read/row_based/formats/ndjson/block_builder.rs calls
    /// <c>from_slice</c> without <c>disable_recursion_limit</c>), and a raw-mode value sits one
    /// level inside its line.
    /// </summary>
    public const int MaxJsonDepthLimit = 126;

    /// <summary>Checks the settings.</summary>
    /// <param name="section">The configuration section these options come from, for messages.</param>
    /// <exception cref="FuncIngestConfigurationException">A setting is wrong; the message names it.</exception>
    public void Validate(string section = "FuncIngest")
    {
        if (!Enum.IsDefined(Mode))
        {
            throw new FuncIngestConfigurationException($"{section}:Mode", $"'{Mode}' is not Raw or Transform.");
        }

        if (!Enum.IsDefined(ValueFormat))
        {
            throw new FuncIngestConfigurationException($"{section}:ValueFormat", $"'{ValueFormat}' is not Json, Avro, JsonSchema or Auto.");
        }

        if (!Enum.IsDefined(KeyFormat))
        {
            throw new FuncIngestConfigurationException($"{section}:KeyFormat", $"'{KeyFormat}' is not Json, Avro, JsonSchema or Auto.");
        }

        if (MaxRecordBytes < 1)
        {
            throw new FuncIngestConfigurationException($"{section}:MaxRecordBytes", $"must be positive, not {MaxRecordBytes}.");
        }

        if (MaxJsonDepth is < 1 or > MaxJsonDepthLimit)
        {
            throw new FuncIngestConfigurationException(
                $"{section}:MaxJsonDepth",
                $"must be between 1 and {MaxJsonDepthLimit} (Databend refuses NDJSON lines nested 128 deep, and a raw-mode value sits one level inside its line), not {MaxJsonDepth}.");
        }
    }
}
