using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FuncIngest.IntegrationTests.Staging;
using FuncIngest.Loading;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;

namespace FuncIngest.IntegrationTests.Loading;

/// <summary>Objects planted in the stage (issue 21, part 1): they must not decide what is skipped or loaded.</summary>
public sealed class StageTrustTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_empty_quarantine_blob_named_for_a_huge_range_does_not_make_the_stager_skip_records()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        string planted = bed.Stager.Layout.QuarantineFolder("orders", 2) + "00000000000000000000-09223372036854775806.ndjson";
        await bed.Container.GetBlobClient(planted).UploadAsync(BinaryData.Empty, Ct);

        StageBatchResult staged = await bed.StageAsync("orders", 2, 0, 999, Ct);
        await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Equal((1000, 0), (staged.StagedRecords, staged.SkippedRecords));
        Assert.Equal(LoaderBed.Expected((2, 0, 999)), await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task A_file_whose_metadata_disagrees_with_its_name_is_quarantined_and_does_not_move_the_ledger()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        // A forged file claiming offsets up to 1,000,000 with one line: loading it would set next_offset past every real record.
        string forged = bed.Stager.Layout.File("orders", 0, 10, 1_000_000, StageCompression.None).Path;
        await bed.Container.GetBlobClient(forged).UploadAsync(BinaryData.FromString("{}\n"), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string>
            {
                [StageMetadata.FirstOffset] = "10", [StageMetadata.LastOffset] = "11", [StageMetadata.LineCount] = "1", [StageMetadata.LineOffsets] = "10",
            },
        }, Ct);
        // And a name whose last offset would overflow the ledger.
        string overflowing = $"{bed.Staging.Prefix}/{bed.Table}/orders/0/00000000000000000020-09223372036854775807.ndjson";
        await bed.Container.GetBlobClient(overflowing).UploadAsync(BinaryData.FromString("{}\n"), Ct);

        LoadResult first = await bed.NewLoader().LoadAllAsync(Ct);
        await bed.StageAsync("orders", 0, 10, 19, Ct);
        await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Single(first.Quarantined, q => q.File.Path == forged);
        Assert.Contains(overflowing, first.NotStaged);
        Assert.Equal(LoaderBed.Expected((0, 0, 19)), await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task Malformed_offsets_on_a_file_that_needs_trimming_quarantine_that_file_and_the_rest_loads()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        await bed.NewLoader().LoadAllAsync(Ct);
        await bed.StageAsync("orders", 0, 5, 19, Ct);
        StageFileName overlapping = (await StageTestKit.StagedFilesAsync(bed.Container, $"{bed.Staging.Prefix}/{bed.Table}/")).Single();
        BlobClient blob = bed.Container.GetBlobClient(overlapping.Path);
        IDictionary<string, string> metadata = (await blob.GetPropertiesAsync(cancellationToken: Ct)).Value.Metadata;
        metadata[StageMetadata.LineOffsets] = "5-x";
        await blob.SetMetadataAsync(metadata, cancellationToken: Ct);
        await bed.StageAsync("orders", 1, 0, 4, Ct);

        LoadResult result = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Single(result.Quarantined);
        Assert.Equal(LoaderBed.Expected((0, 0, 9), (1, 0, 4)), await bed.RowsAsync(Ct));
    }
}
