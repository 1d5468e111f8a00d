using System.Diagnostics;
using System.Reflection;
using FuncIngest.TestSupport;

namespace FuncIngest.Infra.Tests;

/// <summary>The Bicep CLI restored by this project's PackageDownload.</summary>
internal static class BicepCli
{
    public static string Path { get; } = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;

    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"The Bicep CLI is not at {Path}; `dotnet restore` of tests/FuncIngest.Infra.Tests downloads it.");
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, File.GetUnixFileMode(Path) | UnixFileMode.UserExecute);
        }

        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Combine("infra"),
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Bicep checks for updates and module registries over the network; this machine has none.
        start.Environment["BICEP_TRACING_ENABLED"] = "false";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output) + (await error));
    }
}
