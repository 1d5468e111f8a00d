using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FuncIngest.TestSupport.Azurite;

namespace FuncIngest.IntegrationTests.Fixtures;

public sealed class AzuriteFixtureSmokeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Conditional_create_with_if_none_match_star_refuses_to_overwrite()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        BlobContainerClient container = await azurite.CreateContainerAsync("smoke", ct);
        BlobClient blob = container.GetBlobClient("stage/t/topic/0/00000000000000000000-00000000000000000009.ndjson.zst");
        var createOnly = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };

        await blob.UploadAsync(BinaryData.FromString("first"), createOnly, ct);
        RequestFailedException conflict = await Assert.ThrowsAsync<RequestFailedException>(
            () => blob.UploadAsync(BinaryData.FromString("second"), createOnly, ct));

        Assert.Equal(409, conflict.Status);
        Assert.Equal(BlobErrorCode.BlobAlreadyExists.ToString(), conflict.ErrorCode);
        BlobDownloadResult content = (await blob.DownloadContentAsync(ct)).Value;
        Assert.Equal("first", content.Content.ToString());
    }

    [Fact]
    public void Listens_on_an_ephemeral_loopback_port()
    {
        Assert.Equal("127.0.0.1", azurite.BlobEndpoint.Host);
        Assert.NotEqual(10000, azurite.BlobEndpoint.Port);
    }
}
