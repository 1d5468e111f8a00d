namespace FuncIngest.Staging;

/// <summary>How staged NDJSON files are compressed; COPY INTO is told the same explicitly.</summary>
public enum StageCompression
{
    /// <summary>Zstandard (<c>.ndjson.zst</c>, COPY <c>COMPRESSION = ZSTD</c>). The default.</summary>
    Zstd,

    /// <summary>Gzip (<c>.ndjson.gz</c>, COPY <c>COMPRESSION = GZIP</c>).</summary>
    Gzip,

    /// <summary>Uncompressed (<c>.ndjson</c>, COPY <c>COMPRESSION = NONE</c>).</summary>
    None,
}
