using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

/// <summary>The staging key must not reach CLI output (issue 21, part 3).</summary>
public sealed class SecretsInOutputTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Init_verbose_does_not_print_the_account_key_when_Databend_echoes_the_statement()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        Assert.SkipWhen(bed.Databend.Emulator is null, "needs the emulator to make Databend echo the statement");
        // Databend's syntax errors quote the statement; CREATE STAGE carries the key.
        bed.Databend.Emulator!.InjectFault(new DatabendFault("CREATE STAGE", DatabendFaultKind.FailWithCode)
        {
            Code = 1005,
            Message = $"error: unexpected token in CREATE STAGE ... ACCOUNT_KEY = '{AzuriteFixture.AccountKey}'",
        });

        (int exit, string output) = await bed.CliAsync(Ct, "init", "--verbose");

        Assert.NotEqual(0, exit);
        Assert.Contains("1005", output, StringComparison.Ordinal);
        Assert.DoesNotContain(AzuriteFixture.AccountKey, output, StringComparison.Ordinal);
    }
}
