namespace FuncIngest;

/// <summary>
/// A setting is missing or wrong. Thrown at start, before any record is read; the message
/// names the setting (as the app settings spell it) and what is wrong with it.
/// </summary>
public sealed class FuncIngestConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuncIngestConfigurationException(string setting, string problem)
        : base($"Setting '{setting}': {problem}")
    {
        Setting = setting;
    }

    /// <summary>The setting's full name, e.g. <c>FuncIngest:Staging:MaxFileRecords</c>.</summary>
    public string Setting { get; }
}
