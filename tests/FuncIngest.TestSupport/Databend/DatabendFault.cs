using System.Text.RegularExpressions;

namespace FuncIngest.TestSupport.Databend;

/// <summary>A fault the emulator injects into statements whose SQL matches <see cref="Pattern"/>.</summary>
public sealed class DatabendFault
{
    /// <summary>Creates a fault for statements matching <paramref name="pattern"/> (a case-insensitive regex).</summary>
    public DatabendFault(string pattern, DatabendFaultKind kind) =>
        (Pattern, Kind) = (new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), kind);

    /// <summary>Which statements it hits.</summary>
    public Regex Pattern { get; }

    /// <summary>What it does.</summary>
    public DatabendFaultKind Kind { get; }

    /// <summary>How many more statements it hits; it is removed at zero. Default 1.</summary>
    public int Times { get; set; } = 1;

    /// <summary>Error code for <see cref="DatabendFaultKind.FailWithCode"/>.</summary>
    public int Code { get; init; } = 1001;

    /// <summary>Error message for <see cref="DatabendFaultKind.FailWithCode"/>.</summary>
    public string Message { get; init; } = "injected failure";

    /// <summary>Wait for <see cref="DatabendFaultKind.Delay"/>.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>What <see cref="DatabendFaultKind.Hook"/> awaits before the statement runs.</summary>
    public Func<Task>? BeforeExecute { get; init; }
}
