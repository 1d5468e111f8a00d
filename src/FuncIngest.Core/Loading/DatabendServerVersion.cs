using System.Globalization;
using System.Text.RegularExpressions;

namespace FuncIngest.Loading;

/// <summary>The Databend server versions FuncIngest needs, and how to read one from <c>SELECT version()</c>.</summary>
public static partial class DatabendServerVersion
{
    /// <summary>
    /// Named azblob stages (<c>CREATE STAGE ... URL = 'azblob://...'</c>) exist from v1.2.923-nightly
    /// (databendlabs/databend PR #20038): the minimum for the Blob stage.
    /// </summary>
    public static Version MinimumForBlobStage { get; } = new(1, 2, 923);

    /// <summary>
    /// Before v1.2.838 (databendlabs/databend PR #18934) a commit that needed several retries
    /// could apply merged segments twice and duplicate rows: the minimum for any load.
    /// </summary>
    public static Version MinimumForLoads { get; } = new(1, 2, 838);

    /// <summary>
    /// Reads the version from <c>version()</c>'s text, for example
    /// <c>v1.2.934-nightly-43b24ec040(rust-1.90.0-nightly-2025-08-22T15:23:57Z)</c> (over HTTP
    /// databend answers its build version; query/service/src/sessions/query_ctx/context.rs).
    /// </summary>
    public static bool TryParse(string? text, out Version version)
    {
        Match match = text is null ? Match.Empty : VersionPattern().Match(text);
        if (!match.Success)
        {
            version = new Version(0, 0);
            return false;
        }

        version = new Version(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>Null when <paramref name="text"/> names a version good enough for the stage kind; otherwise what is wrong.</summary>
    public static string? Check(string? text, bool internalStage)
    {
        Version minimum = internalStage ? MinimumForLoads : MinimumForBlobStage;
        if (!TryParse(text, out Version version))
        {
            return $"cannot read the server version from '{text}'; FuncIngest needs Databend v{minimum} or later";
        }

        if (version < minimum)
        {
            string why = internalStage
                ? "older servers can duplicate rows when a commit is retried"
                : "older servers have no named azblob stages (and before v1.2.838 can duplicate rows when a commit is retried)";
            return $"Databend v{version} is too old: FuncIngest needs v{minimum} or later ({why}); upgrade the server";
        }

        return null;
    }

    [GeneratedRegex(@"v(\d+)\.(\d+)\.(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
