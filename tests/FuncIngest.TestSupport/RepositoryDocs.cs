namespace FuncIngest.TestSupport;

/// <summary>
/// The user documentation: README.md and one page per reader under docs/. Tests that hold a
/// page to the code read it here, so a page that moves is renamed in one place.
/// </summary>
public static class RepositoryDocs
{
    /// <summary>The CLI page: commands, exit codes, the example session.</summary>
    public const string Cli = "cli";

    /// <summary>The configuration reference: every setting the code reads.</summary>
    public const string Configuration = "configuration";

    /// <summary>Deploying to Azure, with the azd walkthrough.</summary>
    public const string Deploying = "deploying";

    /// <summary>The Azure Functions app: its functions and delivery guarantees.</summary>
    public const string FunctionsApp = "functions-app";

    /// <summary>How staging and loading work.</summary>
    public const string LoadingAndStaging = "loading-and-staging";

    /// <summary>The operations runbook: metrics, log lines, procedures.</summary>
    public const string Operations = "operations";

    /// <summary>The docs/ folder.</summary>
    public static string Folder => RepositoryPaths.Combine("docs");

    /// <summary>The repository path of a page, for messages ("docs/cli.md").</summary>
    public static string Name(string page) => $"docs/{page}.md";

    /// <summary>The text of docs/<paramref name="page"/>.md.</summary>
    public static string Page(string page)
    {
        string path = Path.Combine(Folder, page + ".md");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{Name(page)} is missing; a test reads it.", path);
        }

        return File.ReadAllText(path);
    }

    /// <summary>Every documentation file: README.md first, then docs/*.md in name order.</summary>
    public static IReadOnlyList<string> Files() =>
    [
        RepositoryPaths.Combine("README.md"),
        .. Directory.EnumerateFiles(Folder, "*.md").Order(StringComparer.Ordinal),
    ];
}
