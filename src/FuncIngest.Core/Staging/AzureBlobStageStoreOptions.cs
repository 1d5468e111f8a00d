namespace FuncIngest.Staging;

/// <summary>Tuning of <see cref="AzureBlobStageStore"/>.</summary>
public sealed class AzureBlobStageStoreOptions
{
    /// <summary>Bytes buffered before a block is sent; bounds the memory of one upload. Default 4 MiB.</summary>
    public int BlockSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a partition lock lasts if its holder dies (Azure allows 15..60 s). Default 60 s.</summary>
    public TimeSpan LockDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for a partition lock before giving up. Default 2 minutes.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
