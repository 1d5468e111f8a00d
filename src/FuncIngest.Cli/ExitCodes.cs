namespace FuncIngest.Cli;

/// <summary>The exit codes of <c>funcingest</c> (docs/cli.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran and found a problem (verify, doctor).</summary>
    public const int ProblemFound = 1;

    /// <summary>A setting is missing or wrong, or the command line is.</summary>
    public const int BadConfiguration = 2;

    /// <summary>Kafka, the stage or Databend failed or could not be reached.</summary>
    public const int DependencyFailed = 3;

    /// <summary>An unexpected failure: a bug in funcingest (the message says what; --verbose shows where).</summary>
    public const int Unexpected = 4;

    /// <summary>Interrupted (SIGINT/SIGTERM) before finishing.</summary>
    public const int Interrupted = 130;
}
