namespace FuncIngest.Cli;

/// <summary>Entry point of the <c>funcingest</c> tool.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static Task<int> Main(string[] args) => CliApplication.BuildRootCommand().Parse(args).InvokeAsync();
}
