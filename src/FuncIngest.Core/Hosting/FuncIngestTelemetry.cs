namespace FuncIngest.Hosting;

/// <summary>Names to register with OpenTelemetry or another metrics listener.</summary>
public static class FuncIngestTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> every FuncIngest metric belongs to.</summary>
    public const string MeterName = "FuncIngest";
}
