using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FuncIngest.Internal;

/// <summary>
/// FuncIngest's instruments (meter <c>FuncIngest</c>; add it to OpenTelemetry with
/// <c>AddMeter("FuncIngest")</c>).
/// </summary>
internal static class FuncIngestMetrics
{
    public static readonly Meter Meter = new(Hosting.FuncIngestTelemetry.MeterName, "1.0");

    public static readonly Counter<long> StagedRecords = Meter.CreateCounter<long>("funcingest.staging.records", "{record}", "Records handled by staging, by outcome (staged, dead_lettered, skipped).");

    public static readonly Counter<long> ValuesAsText = Meter.CreateCounter<long>(
        "funcingest.staging.values_as_text",
        "{record}",
        "Raw-mode values stored as a JSON string of their text instead of as JSON, by reason (not_json, empty, too_deep, and JSON that Databend would refuse or change: lone_surrogate, number_out_of_range, wide_integer, reserved_key, duplicate_key).");

    public static readonly Counter<long> BytesIn = Meter.CreateCounter<long>("funcingest.staging.bytes_in", "By", "Record bytes (key, value, headers) staged.");

    public static readonly Counter<long> BytesOut = Meter.CreateCounter<long>("funcingest.staging.bytes_out", "By", "Compressed bytes written to the stage.");

    public static readonly Counter<long> StagedFiles = Meter.CreateCounter<long>("funcingest.staging.files", "{file}", "Files committed to the stage.");

    public static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("funcingest.staging.duration", "s", "Time to stage one batch.");

    public static readonly Counter<long> LoadedFiles = Meter.CreateCounter<long>("funcingest.loader.files", "{file}", "Staged files handled by the loader, by outcome (loaded, skipped, quarantined).");

    public static readonly Counter<long> LoadedRows = Meter.CreateCounter<long>("funcingest.loader.rows", "{row}", "Rows committed to Databend.");

    public static readonly Counter<long> TransactionRetries = Meter.CreateCounter<long>("funcingest.loader.retries", "{retry}", "Load transactions retried after a transient failure.");

    /// <summary>Per table, topic and partition: offsets staged but not yet loaded, as last seen by a loader.</summary>
    public static readonly ConcurrentDictionary<(string Table, string Topic, int Partition), long> LedgerLag = new();

    public static readonly ObservableGauge<long> LedgerLagGauge = Meter.CreateObservableGauge(
        "funcingest.loader.lag",
        () => LedgerLag.Select(l => new Measurement<long>(l.Value,
            new KeyValuePair<string, object?>("table", l.Key.Table),
            new KeyValuePair<string, object?>("topic", l.Key.Topic),
            new KeyValuePair<string, object?>("partition", l.Key.Partition))),
        "{offset}",
        "Offsets staged but not yet loaded (highest staged offset + 1 - ledger next offset), per partition.");

    public static readonly Histogram<double> CopyDuration = Meter.CreateHistogram<double>("funcingest.loader.copy_duration", "s", "Time of one COPY INTO statement.");
}
