using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FuncIngest.Internal;

namespace FuncIngest.Staging;

/// <summary>
/// The stage in an Azure Blob container: block uploads committed with <c>If-None-Match: *</c>,
/// listings with metadata, and blob leases as partition locks.
/// </summary>
public sealed class AzureBlobStageStore : IStageStore
{
    private readonly BlobContainerClient _container;
    private readonly AzureBlobStageStoreOptions _options;

    /// <summary>Creates a store over a container client (which carries endpoint and credentials).</summary>
    public AzureBlobStageStore(BlobContainerClient container, AzureBlobStageStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _options = options ?? new AzureBlobStageStoreOptions();
        if (_options.BlockSize < 64 * 1024)
        {
            throw new FuncIngestConfigurationException("FuncIngest:Stage:BlockSize", $"must be at least 64 KiB, not {_options.BlockSize}.");
        }

        if (_options.LockDuration < TimeSpan.FromSeconds(15) || _options.LockDuration > TimeSpan.FromSeconds(60))
        {
            throw new FuncIngestConfigurationException("FuncIngest:Stage:LockDuration", "must be between 15 and 60 seconds (Azure lease limits).");
        }
    }

    /// <summary>A store for a container reached with a connection string (Azurite, or an account key).</summary>
    public static AzureBlobStageStore FromConnectionString(string connectionString, string container, AzureBlobStageStoreOptions? options = null) =>
        new(new BlobContainerClient(connectionString, container), options);

    /// <summary>A store for a container reached with a token credential (managed identity in Azure).</summary>
    public static AzureBlobStageStore FromServiceUri(Uri serviceUri, TokenCredential credential, string container, AzureBlobStageStoreOptions? options = null) =>
        new(new BlobServiceClient(serviceUri, credential).GetBlobContainerClient(container), options);

    /// <summary>The container.</summary>
    public BlobContainerClient Container => _container;

    /// <summary>Creates the container when it does not exist.</summary>
    public async Task EnsureContainerAsync(CancellationToken cancellationToken = default) =>
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async IAsyncEnumerable<StagedObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (BlobItem item in _container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return new StagedObject(
                item.Name,
                item.Properties.ContentLength ?? 0,
                item.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(item.Metadata, StringComparer.OrdinalIgnoreCase),
                item.Properties.LastModified ?? DateTimeOffset.MinValue);
        }
    }

    /// <inheritdoc />
    public Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult<IStageUpload>(new Upload(_container.GetBlockBlobClient(path), _options.BlockSize));

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) =>
        await _container.GetBlobClient(path).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default) =>
        await _container.GetBlobClient(path).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default)
    {
        BlobClient lockBlob = _container.GetBlobClient(name);
        BlobLeaseClient lease = lockBlob.GetBlobLeaseClient();
        DateTime deadline = DateTime.UtcNow + _options.LockTimeout;
        TimeSpan wait = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await lease.AcquireAsync(_options.LockDuration, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new Lease(lease);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Only the first lock of a partition finds no lock blob: creating it on every lock
                // cost a refused (409) upload per partition per batch. Its lease is what locks.
                await CreateLockBlobAsync(lockBlob, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 409 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 1000));
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                throw new TimeoutException($"The stage lock '{name}' stayed taken for {_options.LockTimeout.TotalSeconds:0} s; another writer holds it.", e);
            }
        }
    }

    private static async Task CreateLockBlobAsync(BlobClient lockBlob, CancellationToken cancellationToken)
    {
        try
        {
            await lockBlob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Another writer created it in between.
        }
    }

    private sealed class Lease(BlobLeaseClient lease) : IStageLock
    {
        public async Task RenewAsync(CancellationToken cancellationToken = default) =>
            await lease.RenewAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await lease.ReleaseAsync().ConfigureAwait(false);
            }
            catch (RequestFailedException)
            {
                // Expired or taken over: nothing left to release.
            }
        }
    }

    private sealed class Upload : IStageUpload
    {
        private readonly BlockBlobClient _blob;
        private readonly BlockUploadStream _stream;

        public Upload(BlockBlobClient blob, int blockSize)
        {
            _blob = blob;
            _stream = new BlockUploadStream(blob, blockSize);
        }

        public Stream Content => _stream;

        public async Task<bool> CommitAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default)
        {
            await _stream.FlushBlocksAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _blob.CommitBlockListAsync(_stream.BlockIds, new CommitBlockListOptions
                {
                    Metadata = new Dictionary<string, string>(metadata),
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 409 || e.ErrorCode == BlobErrorCode.BlobAlreadyExists)
            {
                return false;
            }
        }

        public ValueTask DisposeAsync() => _stream.DisposeAsync();
    }
}
