namespace FuncIngest.TestSupport;

/// <summary>Locates files of this repository from a running test, whatever the working directory.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The directory holding FuncIngest.sln.</summary>
    public static string Root => s_root.Value;

    /// <summary>A path under the repository root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FuncIngest.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find FuncIngest.sln above '{AppContext.BaseDirectory}'. Run the tests from a checkout of the repository.");
    }
}
