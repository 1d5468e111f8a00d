namespace FuncIngest.Loading;

/// <summary>
/// How Databend reaches the staging container: Databend's azblob stage takes only an endpoint,
/// an account name and an account key (no SAS, no managed identity), so the key is needed here;
/// in Azure it comes from Key Vault.
/// </summary>
/// <param name="EndpointUrl">Blob endpoint, e.g. <c>https://account.blob.core.windows.net</c> (Azurite: <c>http://127.0.0.1:10000/devstoreaccount1</c>).</param>
/// <param name="AccountName">Storage account name.</param>
/// <param name="AccountKey">Storage account key.</param>
/// <param name="Container">The staging container.</param>
public sealed record AzureStageConnection(string EndpointUrl, string AccountName, string AccountKey, string Container)
{
    /// <inheritdoc />
    public override string ToString() => $"{EndpointUrl} account={AccountName} container={Container} key=***";
}
