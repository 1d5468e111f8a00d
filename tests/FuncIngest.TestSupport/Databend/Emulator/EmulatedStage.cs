using Azure.Storage;
using Azure.Storage.Blobs;

namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>
/// An external stage on Azure Blob (<c>URL='azblob://container/path/' CONNECTION=(ENDPOINT_URL,
/// ACCOUNT_NAME, ACCOUNT_KEY)</c>, Databend docs "CREATE STAGE", Azure Blob connection
/// parameters), read through Azure.Storage.Blobs, so COPY reads the files FuncIngest staged
/// in Azurite.
/// </summary>
internal sealed class EmulatedStage(string name, BlobContainerClient container, string root)
{
    public string Name { get; } = name;

    public BlobContainerClient Container { get; } = container;

    /// <summary>The path inside the container the stage URL points at ('' or ending with '/').</summary>
    public string Root { get; } = root;

    public static EmulatedStage Create(string name, string url, IReadOnlyDictionary<string, string> connection)
    {
        if (!url.StartsWith("azblob://", StringComparison.OrdinalIgnoreCase))
        {
            throw new EmulatorException(1005, $"the emulator supports only azblob:// stages, not {url}");
        }

        foreach (string key in connection.Keys)
        {
            if (key is not ("ENDPOINT_URL" or "ACCOUNT_NAME" or "ACCOUNT_KEY"))
            {
                // Databend's azblob connection takes only these (docs "Connection parameters: Azure Blob").
                throw new EmulatorException(1005, $"invalid connection option {key} for azblob");
            }
        }

        if (!connection.TryGetValue("ENDPOINT_URL", out string? endpoint) || !connection.TryGetValue("ACCOUNT_NAME", out string? account)
            || !connection.TryGetValue("ACCOUNT_KEY", out string? key2))
        {
            throw new EmulatorException(1005, "azblob stage needs ENDPOINT_URL, ACCOUNT_NAME and ACCOUNT_KEY");
        }

        string rest = url["azblob://".Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string containerName = slash < 0 ? rest : rest[..slash];
        string root = slash < 0 ? string.Empty : rest[(slash + 1)..];
        if (root.Length > 0 && !root.EndsWith('/'))
        {
            root += "/";
        }

        var service = new BlobServiceClient(new Uri(endpoint), new StorageSharedKeyCredential(account, key2));
        return new EmulatedStage(name, service.GetBlobContainerClient(containerName), root);
    }
}
