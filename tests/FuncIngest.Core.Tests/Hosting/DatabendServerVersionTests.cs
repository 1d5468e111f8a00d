using FuncIngest.Loading;

namespace FuncIngest.Core.Tests.Hosting;

public sealed class DatabendServerVersionTests
{
    [Theory]
    [InlineData("v1.2.934-nightly-43b24ec040(rust-1.90.0-nightly-2025-08-22T15:23:57.000Z)", false, null)]
    [InlineData("v1.2.923-nightly-aaaaaaaaaa(rust-1.88.0)", false, null)]
    [InlineData("v1.2.922-nightly-aaaaaaaaaa(rust-1.88.0)", false, "v1.2.923 or later")]
    [InlineData("v1.2.922-nightly-aaaaaaaaaa(rust-1.88.0)", true, null)]
    [InlineData("v1.2.837-nightly", true, "duplicate rows")]
    [InlineData("8.0.90-v1.3.1-nightly-aaaaaaaaaa", false, null)]
    [InlineData("something else", true, "cannot read the server version")]
    [InlineData(null, false, "cannot read the server version")]
    public void Checks_the_minimum_for_the_stage_kind(string? text, bool internalStage, string? problem)
    {
        string? result = DatabendServerVersion.Check(text, internalStage);

        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }
}
