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

    [Fact]
    public void Every_log_line_has_an_event_id_of_its_own()
    {
        var lines = AllLogLines().ToList();

        Assert.True(lines.Count >= 20, $"Found only {lines.Count} [LoggerMessage]s in src/; the pattern no longer matches them.");
        string[] withoutId = [.. lines.Where(l => l.Id is null).Select(l => $"\"{l.Message}\"")];
        Assert.True(withoutId.Length == 0, "[LoggerMessage]s without an event id:\n" + string.Join('\n', withoutId));
        string[] shared = [.. lines.GroupBy(l => l.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: " + string.Join(" | ", g.Select(l => l.Message)))];
        Assert.True(shared.Length == 0, "Event ids used by more than one [LoggerMessage]:\n" + string.Join('\n', shared));
    }

    [Fact]
    public void Every_row_of_the_log_table_has_the_event_id_of_its_line()
    {
        var ids = AllLogLines().GroupBy(l => l.Message).ToDictionary(g => g.Key, g => g.First().Id);
        var rows = LogRow().Matches(Section("## Log lines")).Select(m => (Event: m.Groups["event"].Value, Message: m.Groups["message"].Value)).ToList();

        Assert.NotEmpty(rows);
        string[] wrong = [.. rows.Where(r => !ids.TryGetValue(r.Message, out int? id) || id?.ToString(System.Globalization.CultureInfo.InvariantCulture) != r.Event)
            .Select(r => $"{r.Event} \"{r.Message}\" (the code: {(ids.TryGetValue(r.Message, out int? id) ? id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no id" : "no such line")})")];
        Assert.True(wrong.Length == 0, "docs/operations.md gives log lines another event id than src/:\n" + string.Join('\n', wrong));
    }

    /// <summary>Every [LoggerMessage] in src/ with its event id (null when it sets none) and message.</summary>
    private static IEnumerable<(int? Id, string Message)> AllLogLines() =>
        AnyLoggerMessage().Matches(s_source.Value).Select(m => (
            EventId().Match(m.Groups["args"].Value) is { Success: true } id ? int.Parse(id.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture) : (int?)null,
            m.Groups["message"].Value));

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

    [GeneratedRegex(@"\[LoggerMessage\((?<args>[^\]""]*?)(?:Message\s*=\s*)?""(?<message>(?:[^""\\]|\\.)*)""\)\]")]
    private static partial Regex AnyLoggerMessage();

    [GeneratedRegex(@"^\s*(?:EventId\s*=\s*)?(?<id>\d+)\s*,")]
    private static partial Regex EventId();

    [GeneratedRegex(@"^\| (?<event>[^|\n]*) \| (?<level>Information|Warning|Error|Debug) \| `(?<message>[^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex LogRow();
}
