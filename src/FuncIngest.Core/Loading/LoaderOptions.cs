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

        if (MissingFieldAs.ToUpperInvariant() is not ("ERROR" or "NULL" or "FIELD_DEFAULT"))
        {
            throw new FuncIngestConfigurationException($"{Section}:MissingFieldAs", $"must be ERROR, NULL or FIELD_DEFAULT, not '{MissingFieldAs}'.");
        }
    }
}
