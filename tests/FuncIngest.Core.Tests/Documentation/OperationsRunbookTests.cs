using System.Text.RegularExpressions;
using FuncIngest.TestSupport;

namespace FuncIngest.Core.Tests.Documentation;

/// <summary>The runbook (docs/operations.md) names every metric and every warning or error log line the code has, and nothing the code lacks.</summary>
public sealed partial class OperationsRunbookTests
{
    private static readonly Lazy<string> s_source = new(() => string.Join('\n',
        Directory.EnumerateFiles(RepositoryPaths.Combine("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)));

    [Fact]
    public void The_metrics_table_lists_exactly_the_instruments_in_the_code()
    {
        string[] inCode = [.. Instrument().Matches(s_source.Value).Select(m => m.Groups["name"].Value).Distinct().Order(StringComparer.Ordinal)];
        string[] inRunbook = [.. MetricRow().Matches(Section("## Metrics")).Select(m => m.Groups["name"].Value).Distinct().Order(StringComparer.Ordinal)];

        Assert.True(inCode.Length >= 10, $"Found only {inCode.Length} instruments in src/; the pattern no longer matches how they are created.");
        string[] missing = [.. inCode.Except(inRunbook)];
        string[] extra = [.. inRunbook.Except(inCode)];
        Assert.True(missing.Length == 0, "Metrics missing from docs/operations.md: " + string.Join(", ", missing));
        Assert.True(extra.Length == 0, "Metrics in docs/operations.md that src/ does not create: " + string.Join(", ", extra));
    }

    [Fact]
    public void Every_warning_and_error_log_line_is_in_the_log_table_with_its_level()
    {
        string table = Section("## Log lines");
        var lines = LogLines().ToList();

        Assert.True(lines.Count(l => l.Level is "Warning" or "Error") >= 10, "Found few [LoggerMessage] warnings in src/; the pattern no longer matches them.");
        string[] missing = [.. lines.Where(l => l.Level is "Warning" or "Error")
            .Where(l => !table.Contains($"| {l.Level} | `{l.Message}` |", StringComparison.Ordinal))
            .Select(l => $"{l.Level} \"{l.Message}\"")];
        Assert.True(missing.Length == 0, "Log lines missing from docs/operations.md (as `| Level | `message` |`):\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Every_log_line_in_the_table_is_one_the_code_writes()
    {
        var messages = LogLines().Select(l => (l.Level, l.Message)).ToHashSet();
        var rows = LogRow().Matches(Section("## Log lines")).Select(m => (Level: m.Groups["level"].Value, Message: m.Groups["message"].Value)).ToList();

        Assert.NotEmpty(rows);
        string[] unknown = [.. rows.Where(r => !messages.Contains(r)).Select(r => $"{r.Level} \"{r.Message}\"")];
        Assert.True(unknown.Length == 0, "docs/operations.md lists log lines src/ does not write (or with another level):\n" + string.Join('\n', unknown));
    }

    /// <summary>The runbook from a "## " heading to the next one.</summary>
    private static string Section(string heading)
    {
        string page = RepositoryDocs.Page(RepositoryDocs.Operations);
        int start = page.IndexOf("\n" + heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/operations.md has no section '{heading}'.");
        int end = page.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? page[start..] : page[start..end];
    }

    private static IEnumerable<(string Level, string Message)> LogLines() =>
        LoggerMessage().Matches(s_source.Value)
            .Where(m => m.Groups["level"].Success)
            .Select(m => (m.Groups["level"].Value, m.Groups["message"].Value));

    [GeneratedRegex(@"\.Create(?:Counter|Histogram|UpDownCounter|Gauge|ObservableCounter|ObservableGauge|ObservableUpDownCounter)(?:<[^>]+>)?\(\s*""(?<name>[a-z0-9_.]+)""")]
    private static partial Regex Instrument();

    [GeneratedRegex(@"^\| `(?<name>funcingest\.[a-z0-9_.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex MetricRow();

    [GeneratedRegex(@"\[LoggerMessage\([^\]]*?(?:LogLevel\.(?<level>\w+))[^\]]*?""(?<message>(?:[^""\\]|\\.)*)""\)\]")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"^\| [^|\n]* \| (?<level>Information|Warning|Error|Debug) \| `(?<message>[^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex LogRow();
}
