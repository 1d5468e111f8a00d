using System.Text.Json.Nodes;

namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>One NDJSON line as Databend's reader sees it (see <see cref="NdjsonLineParser"/>).</summary>
public sealed class NdjsonLine
{
    /// <summary>Findings that make Databend store something other than the text: the value it stores differs.</summary>
    public static readonly IReadOnlyList<string> ChangeKinds = ["number_out_of_range", "wide_integer", "reserved_key", "duplicate_key"];

    /// <summary>The grammar is broken (serde_json fails the line).</summary>
    public bool SyntaxError { get; init; }

    /// <summary>A container nests deeper than the limit before any syntax error.</summary>
    public bool TooDeep { get; init; }

    /// <summary>
    /// What was found in grammatical JSON, in no order: <c>lone_surrogate</c> (serde_json fails the
    /// line), <c>number_out_of_range</c>, <c>wide_integer</c>, <c>reserved_key</c>, <c>duplicate_key</c>.
    /// </summary>
    public IReadOnlySet<string> Findings { get; init; } = new HashSet<string>();

    /// <summary>Why Databend refuses the line, or null when it loads it.</summary>
    public string? Error { get; init; }

    /// <summary>The value Databend stores when it loads the line (changes applied), else null.</summary>
    public JsonNode? Value { get; init; }

    /// <summary>Whether Databend loads the line and stores exactly what it says.</summary>
    public bool StoredUnchanged => Error is null && !Findings.Overlaps(ChangeKinds);
}
