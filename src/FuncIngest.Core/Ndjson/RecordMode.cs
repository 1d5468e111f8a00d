namespace FuncIngest.Ndjson;

/// <summary>How records become table rows.</summary>
public enum RecordMode
{
    /// <summary>
    /// bend-ingest-kafka's six-column table (uuid, koffset, kpartition, raw_data,
    /// record_metadata, add_time): the value lands in <c>raw_data</c> as produced.
    /// </summary>
    Raw,

    /// <summary>Each value is a JSON object whose fields map to the table's columns by name.</summary>
    Transform,
}
