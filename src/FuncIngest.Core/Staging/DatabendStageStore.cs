using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Databend.Client;
using FuncIngest.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Staging;

/// <summary>
/// The stage as a Databend internal stage (<c>CREATE STAGE name</c>, no URL): files go up and
/// down through <c>PRESIGN</c> URLs, listings come from <c>LIST</c>, deletions from
/// <c>REMOVE</c>. For users who cannot give Databend an Azure account key.
/// </summary>
/// <remarks>
/// <para>An internal stage has no object metadata, no conditional create and no leases, so this
/// store differs from <see cref="AzureBlobStageStore"/> in three ways, all documented in docs/loading-and-staging.md
/// ("Databend internal stage"):</para>
/// <list type="bullet">
/// <item>Metadata is a sidecar object <c>{path}.meta</c> (a JSON object of strings), written
/// before the data, so a visible data file always has its metadata. Listings hide sidecars.</item>
/// <item>Creation checks that the path is free and then uploads: not atomic. Two writers racing
/// on one path within that window can both upload; the second overwrites the first.</item>
/// <item><see cref="LockAsync"/> locks within this process only.</item>
/// </list>
/// <para>Why nothing is lost or loaded twice anyway: Kafka commits a batch only after it is
/// staged, so a writer that starts at the committed offset finds every earlier offset already
/// staged; a second writer of the same offsets (a rebalance, a zombie) can only add files that
/// overlap staged ones, and the loader loads files in offset order and trims what the ledger
/// already covers. What the missing lock costs is tidiness (overlapping files, I2), not rows.</para>
/// </remarks>
public sealed class DatabendStageStore : IStageStore
{
    /// <summary>Suffix of the sidecar object that holds a file's metadata.</summary>
    public const string MetadataSuffix = ".meta";

    /// <summary>Largest metadata sidecar read (FuncIngest writes at most a few KiB: offsets past 6 KiB go to their own sidecar).</summary>
    public const int MaxMetadataBytes = 64 * 1024;

    private readonly Func<DatabendClient> _clientFactory;
    private readonly string _stage;
    private readonly TimeSpan _lockTimeout;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Size, DateTimeOffset Modified, IReadOnlyDictionary<string, string> Metadata)> _metadataCache = new(StringComparer.Ordinal);

    /// <summary>Creates a store over the internal stage <paramref name="stageName"/>.</summary>
    /// <param name="clientFactory">Makes a Databend session per operation (share one HttpClient between them); its HttpClient also carries the presigned requests.</param>
    /// <param name="stageName">The internal stage, created by <c>CREATE STAGE IF NOT EXISTS</c>.</param>
    /// <param name="lockTimeout">How long <see cref="LockAsync"/> waits. Default 2 minutes.</param>
    /// <param name="logger">Logs listing entries that are skipped (odd names, bad sidecars).</param>
    public DatabendStageStore(Func<DatabendClient> clientFactory, string stageName, TimeSpan? lockTimeout = null, ILogger<DatabendStageStore>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        ArgumentNullException.ThrowIfNull(clientFactory);
        _clientFactory = clientFactory;
        _stage = DatabendSql.QuoteIdentifier(stageName, "The stage name").Trim('`');
        _lockTimeout = lockTimeout ?? TimeSpan.FromMinutes(2);
    }

    /// <summary>The stage's name.</summary>
    public string StageName => _stage;

    /// <inheritdoc />
    public async IAsyncEnumerable<StagedObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var files = new Dictionary<string, (long Size, DateTimeOffset Modified)>(StringComparer.Ordinal);
        // LIST names files relative to the stage root, whatever the location's path
        // (databend tests/sqllogictests, list_stage: location '@data/parquet/multi_page/' lists
        // 'parquet/multi_page/gen.py'). StagePath also accepts names relative to the location,
        // so that a server doing that would not make staged files invisible.
        string location = prefix.Length == 0 ? $"@{_stage}" : $"@{_stage}/{RequireValidPath(prefix)}";
        // One session for the listing and the sidecar downloads that follow it.
        using DatabendClient client = _clientFactory();
        DatabendResult listing = await client.ExecuteAsync($"LIST {location}", cancellationToken).ConfigureAwait(false);
        foreach (DatabendRow row in listing.Rows)
        {
            // Whoever can write the stage decides its names: one that is not a path this store
            // could read, delete or parse is skipped, not a reason to fail every listing.
            string? listed = row["name"];
            string name = listed is null ? string.Empty : StagePath(prefix, listed);
            if (!DatabendSql.IsValidStagePath(name) || !long.TryParse(row["size"], NumberStyles.None, CultureInfo.InvariantCulture, out long size))
            {
                Log.ListingEntrySkipped(_logger, listed ?? "(null)", _stage, "not a stage path FuncIngest can use, or no size");
                continue;
            }

            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                files[name] = (size, ParseTime(row["last_modified"]));
            }
        }

        foreach ((string name, (long size, DateTimeOffset modified)) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (name.EndsWith(MetadataSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            IReadOnlyDictionary<string, string> metadata;
            if (files.TryGetValue(name + MetadataSuffix, out (long Size, DateTimeOffset Modified) sidecar))
            {
                string? problem = null;
                metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                try
                {
                    metadata = sidecar.Size > MaxMetadataBytes
                        ? throw new InvalidDataException($"its metadata sidecar has {sidecar.Size} bytes, more than {MaxMetadataBytes}")
                        : await ReadMetadataAsync(client, name, size, modified, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidDataException)
                {
                    problem = e.Message;
                }

                if (problem is not null)
                {
                    Log.ListingEntrySkipped(_logger, name, _stage, problem);
                    continue;
                }
            }
            else
            {
                metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }

            yield return new StagedObject(name, size, metadata, modified);
        }
    }

    /// <inheritdoc />
    public Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult<IStageUpload>(new Upload(this, RequireValidPath(path)));

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        RequireValidPath(path);
        DatabendClient client = _clientFactory();
        try
        {
            // The client may own the HttpClient the body streams through: it lives as long as the stream.
            return new OwningStream(await client.OpenStageFileAsync(_stage, path, cancellationToken).ConfigureAwait(false), client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        RequireValidPath(path);
        if (path.EndsWith('/'))
        {
            throw new ArgumentException($"'{path}' names a folder; DeleteAsync removes one file.", nameof(path));
        }

        // REMOVE removes every file whose name starts with the path, as a string prefix
        // (databendlabs/databend: src/query/service/src/interpreters/interpreter_user_stage_remove.rs).
        // Our names are fixed-width ({first:D20}-{last:D20}), so the only files a file's path is
        // a prefix of are its own sidecars, which go with it. The second REMOVE is kept for a
        // server that matches exact names. REMOVE of a missing file succeeds.
        using DatabendClient client = _clientFactory();
        await client.ExecuteAsync($"REMOVE @{_stage}/{path}", cancellationToken).ConfigureAwait(false);
        await client.ExecuteAsync($"REMOVE @{_stage}/{path}{MetadataSuffix}", cancellationToken).ConfigureAwait(false);
        _metadataCache.TryRemove(path, out _);
    }

    /// <inheritdoc />
    /// <remarks>Within this process only: an internal stage has nothing to hold a lease on (see the type's remarks).</remarks>
    public async Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default)
    {
        SemaphoreSlim gate = _locks.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(_lockTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException($"The stage lock '{name}' stayed taken for {_lockTimeout.TotalSeconds:0} s; another writer in this process holds it.");
        }

        return new LocalLock(gate);
    }

    private async Task<bool> ExistsAsync(DatabendClient client, string path, CancellationToken cancellationToken)
    {
        int slash = path.LastIndexOf('/');
        string folder = slash < 0 ? string.Empty : path[..(slash + 1)];
        DatabendResult listing = await client.ExecuteAsync($"LIST @{_stage}/{path}", cancellationToken).ConfigureAwait(false);
        return listing.Rows.Any(row =>
        {
            string name = row.GetString(row.GetOrdinal("name"));
            return string.Equals(name, path, StringComparison.Ordinal) || string.Equals(folder + name, path, StringComparison.Ordinal);
        });
    }

    private async Task<IReadOnlyDictionary<string, string>> ReadMetadataAsync(DatabendClient client, string path, long size, DateTimeOffset modified, CancellationToken cancellationToken)
    {
        // Staged files are never rewritten in place, so a cached sidecar stays right while the
        // file's size and time are unchanged.
        if (_metadataCache.TryGetValue(path, out var cached) && cached.Size == size && cached.Modified == modified)
        {
            return cached.Metadata;
        }

        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Stream stream = await client.OpenStageFileAsync(_stage, path + MetadataSuffix, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // The listing's size can be stale or wrong: read at most the cap, whatever it said.
            using var bounded = new MemoryStream();
            byte[] chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (bounded.Length + read > MaxMetadataBytes)
                {
                    throw new InvalidDataException($"its metadata sidecar is larger than {MaxMetadataBytes} bytes");
                }

                bounded.Write(chunk, 0, read);
            }

            bounded.Position = 0;
            using JsonDocument json = JsonDocument.Parse(bounded);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("its metadata sidecar is not a JSON object");
            }

            foreach (JsonProperty property in json.RootElement.EnumerateObject())
            {
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()!
                    : throw new InvalidDataException($"its metadata sidecar's '{property.Name}' is not a string");
            }
        }

        _metadataCache[path] = (size, modified, metadata);
        return metadata;
    }

    /// <summary>A listed name as a path from the stage root: kept when it already is one, else taken as relative to the listed folder.</summary>
    internal static string StagePath(string listedPrefix, string name)
    {
        if (name.StartsWith(listedPrefix, StringComparison.Ordinal))
        {
            return name;
        }

        int slash = listedPrefix.LastIndexOf('/');
        return slash < 0 ? name : listedPrefix[..(slash + 1)] + name;
    }

    private static DateTimeOffset ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time) ? time : DateTimeOffset.MinValue;

    private static string RequireValidPath(string path) =>
        DatabendSql.IsValidStagePath(path)
            ? path
            : throw new ArgumentException($"The stage path '{path}' may only contain letters, digits and _ . / = - (and no '..'): a Databend stage path.", nameof(path));

    private sealed class LocalLock(SemaphoreSlim gate) : IStageLock
    {
        private int _released;

        public Task RenewAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// Spools the object to a temporary file (bounded by the stage's file size limit, not held in
    /// memory), because a presigned PUT needs the length up front.
    /// </summary>
    private sealed class Upload(DatabendStageStore store, string path) : IStageUpload
    {
        private readonly FileStream _spool = new(
            Path.Combine(Path.GetTempPath(), "funcingest-" + Guid.NewGuid().ToString("N") + ".spool"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);

        public Stream Content => _spool;

        public async Task<bool> CommitAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(metadata);
            await _spool.FlushAsync(cancellationToken).ConfigureAwait(false);
            using DatabendClient client = store._clientFactory();
            if (await store.ExistsAsync(client, path, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            // Metadata first: a data file that is visible always has its sidecar.
            using (var meta = new MemoryStream())
            {
                using (var writer = new Utf8JsonWriter(meta))
                {
                    writer.WriteStartObject();
                    foreach ((string key, string value) in metadata)
                    {
                        writer.WriteString(key, value);
                    }

                    writer.WriteEndObject();
                }

                meta.Position = 0;
                await client.UploadToStageAsync(store._stage, path + MetadataSuffix, meta, cancellationToken).ConfigureAwait(false);
            }

            _spool.Position = 0;
            // The request disposes its content; the spool must outlive it (callers read Content.Length after commit).
            await client.UploadToStageAsync(store._stage, path, new SpoolReader(_spool), cancellationToken).ConfigureAwait(false);
            store._metadataCache.TryRemove(path, out _);
            return true;
        }

        public ValueTask DisposeAsync() => _spool.DisposeAsync();
    }

    /// <summary>Reads a spool for an upload request without closing it when the request is disposed.</summary>
    private sealed class SpoolReader(FileStream spool) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => spool.Length;

        public override long Position { get => spool.Position; set => spool.Position = value; }

        public override int Read(byte[] buffer, int offset, int count) => spool.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => spool.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            spool.ReadAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => spool.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
