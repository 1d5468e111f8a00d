using Databend.Client;

namespace FuncIngest.Loading;

/// <summary>How staged files are loaded into Databend. Bound from <c>FuncIngest:Loader</c>.</summary>
public sealed class LoaderOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "FuncIngest:Loader";

    /// <summary>The Databend stage (an azblob stage over the staging container's root). Default <c>funcingest_stage</c>.</summary>
    public string StageName { get; set; } = "funcingest_stage";

    /// <summary>The ledger table. Default <c>funcingest_offsets</c>.</summary>
    public string LedgerTable { get; set; } = "funcingest_offsets";

    /// <summary>Most files in one transaction (Databend allows 15,000 per COPY). Default 1,000.</summary>
    public int MaxFilesPerLoad { get; set; } = 1000;

    /// <summary>Attempts of one load transaction after transient failures. Default 8.</summary>
    public int MaxTransactionAttempts { get; set; } = 8;

    /// <summary>First delay between transaction attempts; doubles, with jitter, up to 30 s. Default 500 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>COPY's <c>MISSING_FIELD_AS</c> (transform mode tables): <c>ERROR</c>, <c>NULL</c> or <c>FIELD_DEFAULT</c>. Default ERROR.</summary>
    public string MissingFieldAs { get; set; } = "ERROR";

    /// <summary>
    /// The staging account's Blob endpoint as Databend reaches it, when that differs from the
    /// one in <c>StageConnectionString</c> (Docker: <c>http://azurite:10000/devstoreaccount1</c>).
    /// Default: the connection string's endpoint.
    /// </summary>
    public string? StageEndpoint { get; set; }

    /// <summary>Whether the loader creates the table (raw mode), ledger and stage before its first load, as <c>funcingest init</c> does. Default true.</summary>
    public bool EnsureObjects { get; set; } = true;

    /// <summary>How long a staged file may wait before the sweeper schedules a load for its table. Default 5 minutes.</summary>
    public TimeSpan StrandedAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Functions app: attempts of one load run (each with its own transaction retries) before it is left to the sweeper. Default 5.</summary>
    public int RunAttempts { get; set; } = 5;

    /// <summary>Functions app: first delay between load-run attempts; doubles up to 10 minutes. Default 30 s.</summary>
    public TimeSpan RunRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks every setting and throws naming the first wrong one.</summary>
    public void Validate()
    {
        if (!DatabendSql.IsValidIdentifier(StageName))
        {
            throw new FuncIngestConfigurationException($"{Section}:StageName", $"'{StageName}' is not a plain identifier.");
        }

        if (!DatabendSql.IsValidIdentifier(LedgerTable))
        {
            throw new FuncIngestConfigurationException($"{Section}:LedgerTable", $"'{LedgerTable}' is not a plain identifier.");
        }

        if (MaxFilesPerLoad is < 1 or > 15_000)
        {
            throw new FuncIngestConfigurationException($"{Section}:MaxFilesPerLoad", $"must be between 1 and 15000, not {MaxFilesPerLoad}.");
        }

        if (MaxTransactionAttempts < 1)
        {
            throw new FuncIngestConfigurationException($"{Section}:MaxTransactionAttempts", $"must be at least 1, not {MaxTransactionAttempts}.");
        }

        if (!string.IsNullOrEmpty(StageEndpoint) && !(Uri.TryCreate(StageEndpoint, UriKind.Absolute, out Uri? endpoint) && endpoint.Scheme is "http" or "https"))
        {
            throw new FuncIngestConfigurationException($"{Section}:StageEndpoint", $"'{StageEndpoint}' is not an http(s) URL.");
        }

        if (StrandedAfter < TimeSpan.FromSeconds(10))
        {
            throw new FuncIngestConfigurationException($"{Section}:StrandedAfter", $"must be at least 00:00:10, not {StrandedAfter}.");
        }

        if (RunAttempts < 1)
        {
            throw new FuncIngestConfigurationException($"{Section}:RunAttempts", $"must be at least 1, not {RunAttempts}.");
        }

        if (RunRetryDelay <= TimeSpan.Zero)
        {
            throw new FuncIngestConfigurationException($"{Section}:RunRetryDelay", $"must be positive, not {RunRetryDelay}.");
        }

        if (MissingFieldAs.ToUpperInvariant() is not ("ERROR" or "NULL" or "FIELD_DEFAULT"))
        {
            throw new FuncIngestConfigurationException($"{Section}:MissingFieldAs", $"must be ERROR, NULL or FIELD_DEFAULT, not '{MissingFieldAs}'.");
        }
    }
}
