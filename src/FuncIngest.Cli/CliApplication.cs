using System.CommandLine;

namespace FuncIngest.Cli;

/// <summary>Builds the <c>funcingest</c> command tree.</summary>
internal static class CliApplication
{
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("funcingest: land Kafka topics in Databend exactly once, through a Blob stage and COPY INTO.");
        return root;
    }
}
