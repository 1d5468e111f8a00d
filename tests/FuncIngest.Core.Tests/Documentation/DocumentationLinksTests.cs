using System.Text;
using System.Text.RegularExpressions;
using FuncIngest.TestSupport;

namespace FuncIngest.Core.Tests.Documentation;

/// <summary>README.md is the map of docs/: every page is reached from it, and no relative link or anchor in any page is broken.</summary>
public sealed partial class DocumentationLinksTests
{
    [Fact]
    public void Every_docs_page_is_linked_from_the_readme()
    {
        string readme = RepositoryPaths.Combine("README.md");
        var linked = Links(readme).Select(l => Resolve(readme, l.Path)).ToHashSet(StringComparer.Ordinal);
        string[] pages = [.. Directory.EnumerateFiles(RepositoryDocs.Folder, "*.md").Select(Path.GetFullPath)];

        Assert.NotEmpty(pages);
        string[] unlinked = [.. pages.Where(p => !linked.Contains(p)).Select(p => "docs/" + Path.GetFileName(p))];
        Assert.True(unlinked.Length == 0, "Not linked from README.md: " + string.Join(", ", unlinked));
    }

    [Fact]
    public void Every_relative_link_and_anchor_in_the_docs_resolves()
    {
        var broken = new List<string>();
        int checkedLinks = 0;
        foreach (string file in RepositoryDocs.Files())
        {
            foreach ((string path, string? anchor) in Links(file))
            {
                checkedLinks++;
                string target = path.Length == 0 ? Path.GetFullPath(file) : Resolve(file, path);
                string where = $"{Path.GetRelativePath(RepositoryPaths.Root, file)}: ({path}{(anchor is null ? string.Empty : "#" + anchor)})";
                if (!File.Exists(target) && !Directory.Exists(target))
                {
                    broken.Add($"{where}: no such file");
                }
                else if (anchor is not null && target.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(target)).Contains(anchor))
                {
                    broken.Add($"{where}: no heading with that anchor");
                }
            }
        }

        Assert.True(checkedLinks > 20, $"Only {checkedLinks} relative links found; the link parser is broken.");
        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join('\n', broken));
    }

    [Theory]
    [InlineData("Quickstart: `func start`", "quickstart-func-start")]
    [InlineData("The Databend internal stage (`StageKind = DatabendInternal`)", "the-databend-internal-stage-stagekind--databendinternal")]
    [InlineData("The ledger protocol, and why it is exactly-once under Databend's commit rule", "the-ledger-protocol-and-why-it-is-exactly-once-under-databends-commit-rule")]
    [InlineData("Encode + compress speed", "encode--compress-speed")]
    public void Anchors_are_made_as_github_makes_them(string heading, string anchor) =>
        Assert.Contains(anchor, Anchors($"# Title\n\n## {heading}\n"));

    /// <summary>Relative links outside code: (path, anchor); an empty path is a link within the file.</summary>
    private static IEnumerable<(string Path, string? Anchor)> Links(string file)
    {
        string text = InlineCode().Replace(WithoutFences(File.ReadAllText(file)), "code");
        foreach (Match link in Link().Matches(text))
        {
            string target = link.Groups["target"].Value;
            if (Uri.TryCreate(target, UriKind.Absolute, out _) || target.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            int hash = target.IndexOf('#', StringComparison.Ordinal);
            yield return hash < 0 ? (target, null) : (target[..hash], target[(hash + 1)..]);
        }
    }

    private static string Resolve(string file, string path) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(path)));

    /// <summary>The anchors GitHub gives a page's headings: text lower-cased, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(WithoutFences(markdown)))
        {
            string text = heading.Groups["text"].Value.Replace("`", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();
            var slug = new StringBuilder();
            foreach (char c in text)
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            string anchor = slug.ToString();
            for (int n = 1; !anchors.Add(anchor); n++)
            {
                anchor = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    private static string WithoutFences(string markdown) => Fence().Replace(markdown, string.Empty);

    [GeneratedRegex(@"^```.*?^```[^\n]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\[[^\]\n]*\]\((?<target>[^)\s]*)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} (?<text>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
