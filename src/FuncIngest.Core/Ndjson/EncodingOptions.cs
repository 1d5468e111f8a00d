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

    /// <summary>Deepest JSON nesting accepted as JSON. Default 64.</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Checks the settings.</summary>
    /// <param name="section">The configuration section these options come from, for messages.</param>
    /// <exception cref="FuncIngestConfigurationException">A setting is wrong; the message names it.</exception>
    public void Validate(string section = "FuncIngest")
    {
        if (!Enum.IsDefined(Mode))
        {
            throw new FuncIngestConfigurationException($"{section}:Mode", $"'{Mode}' is not Raw or Transform.");
        }

        if (MaxRecordBytes < 1)
        {
            throw new FuncIngestConfigurationException($"{section}:MaxRecordBytes", $"must be positive, not {MaxRecordBytes}.");
        }

        if (MaxJsonDepth is < 1 or > 1000)
        {
            throw new FuncIngestConfigurationException($"{section}:MaxJsonDepth", $"must be between 1 and 1000, not {MaxJsonDepth}.");
        }
    }
}
