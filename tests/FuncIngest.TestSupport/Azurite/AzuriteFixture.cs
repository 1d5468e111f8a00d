using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Xunit;

namespace FuncIngest.TestSupport.Azurite;

/// <summary>
/// Azurite's blob service (the npm package pinned in tests/tools/package.json), started once
/// per test assembly on 127.0.0.1 with an ephemeral port and in-memory persistence, and
/// stopped by PID. Register with <c>[assembly: AssemblyFixture(typeof(AzuriteFixture))]</c>.
/// </summary>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft).</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private Process? _process;

    /// <summary>The blob endpoint, e.g. <c>http://127.0.0.1:41234/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint { get; private set; } = null!;

    /// <summary>The id of Azurite's node process while it runs (the e2e benchmark reads its CPU time).</summary>
    public int? ProcessId => _process?.Id;

    /// <summary>A connection string for the emulator's account.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>A client for the emulator's account.</summary>
    public BlobServiceClient CreateServiceClient() => new(ConnectionString);

    /// <summary>Creates a container with a unique name and returns a client for it.</summary>
    public async Task<BlobContainerClient> CreateContainerAsync(string prefix = "test", CancellationToken cancellationToken = default)
    {
        BlobContainerClient container = CreateServiceClient().GetBlobContainerClient($"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)]);
        await container.CreateAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return container;
    }

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        string script = RepositoryPaths.Combine("tests", "tools", "node_modules", "azurite", "dist", "src", "blob", "main.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({script} is missing). Run the test command from README.md, or `npm ci --prefix tests/tools`.");
        }

        string workDir = Directory.CreateTempSubdirectory("funcingest-azurite-").FullName;
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (string arg in new[]
                 {
                     script, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--silent",
                     "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            Match match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                listening.TrySetResult(new Uri($"http://127.0.0.1:{match.Groups[1].Value}/{AccountName}"));
            }
        }

        _process.OutputDataReceived += OnLine;
        _process.ErrorDataReceived += OnLine;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();

        Task exited = _process.WaitForExitAsync();
        Task done = await Task.WhenAny(listening.Task, exited, Task.Delay(s_startTimeout)).ConfigureAwait(false);
        if (done != listening.Task)
        {
            Stop();
            throw new InvalidOperationException(
                "Azurite did not report its port " + (done == exited ? "and exited" : $"within {s_startTimeout.TotalSeconds} s")
                + ". Its output:\n" + string.Join('\n', output));
        }

        BlobEndpoint = await listening.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private void Stop()
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    [GeneratedRegex(@"Azurite Blob service successfully listens on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
