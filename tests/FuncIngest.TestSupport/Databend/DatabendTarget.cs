namespace FuncIngest.TestSupport.Databend;

/// <summary>
/// The Databend a test talks to: the server named by <c>DATABEND_TEST_DSN</c> when set, else a
/// fresh <see cref="DatabendEmulator"/>. Tests needing emulator-only features (faults, clock)
/// skip when <see cref="Emulator"/> is null.
/// </summary>
public sealed class DatabendTarget : IAsyncDisposable
{
    private DatabendTarget(string dsn, DatabendEmulator? emulator) => (Dsn, Emulator) = (dsn, emulator);

    /// <summary>The DSN to connect with.</summary>
    public string Dsn { get; }

    /// <summary>The emulator, or null when testing a real server.</summary>
    public DatabendEmulator? Emulator { get; }

    /// <summary>True when a real server is configured.</summary>
    public static bool UsesRealServer => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DATABEND_TEST_DSN"));

    /// <summary>Starts an emulator, or wraps the configured real server.</summary>
    /// <param name="internalStorage">For the emulator: where internal stages keep their files (a real server has its own storage).</param>
    public static async Task<DatabendTarget> StartAsync(Azure.Storage.Blobs.BlobContainerClient? internalStorage = null) =>
        UsesRealServer
            ? new DatabendTarget(Environment.GetEnvironmentVariable("DATABEND_TEST_DSN")!, null)
            : await StartEmulatorAsync(internalStorage).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<DatabendTarget> StartEmulatorAsync(Azure.Storage.Blobs.BlobContainerClient? internalStorage)
    {
        DatabendEmulator emulator = await DatabendEmulator.StartAsync(internalStorage).ConfigureAwait(false);
        return new DatabendTarget(emulator.Dsn, emulator);
    }
}
