using System.CommandLine;
using Azure;
using Confluent.Kafka;
using Databend.Client;
using FuncIngest.Cli.Commands;
using FuncIngest.Cli.Configuration;
using FuncIngest.Cli.Logging;
using FuncIngest.Hosting;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli;

/// <summary>Builds the <c>funcingest</c> command tree and runs commands with uniform error handling.</summary>
internal static class CliApplication
{
    public static readonly Option<string[]> SettingsFiles = new("--settings")
    {
        Description = "A settings file: local.settings.json (its Values) or appsettings-style JSON. Repeatable.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> BendConfig = new("--bend-config")
    {
        Description = "Read a bend-ingest-kafka config.json (kafkaBootstrapServers, kafkaTopic, databendDSN, databendTable, ...).",
        Recursive = true,
    };

    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Set one setting, e.g. --set FuncIngest:Staging:Table=events. Repeatable; wins over files and environment.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print the full error with its causes on failure, and the log of FuncIngest and librdkafka.",
        Recursive = true,
    };

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("funcingest: land Kafka topics in Databend exactly once, through a Blob stage and COPY INTO.");
        root.Options.Add(SettingsFiles);
        root.Options.Add(BendConfig);
        root.Options.Add(Set);
        root.Options.Add(Verbose);
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(InitCommand.Build());
        root.Subcommands.Add(StatusCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(ProduceCommand.Build());
        root.Subcommands.Add(ReplayCommand.Build());
        root.Subcommands.Add(DoctorCommand.Build());
        root.Subcommands.Add(QuarantineCommand.Build());
        root.Subcommands.Add(DeadLetterCommand.Build());
        return root;
    }

    /// <summary>
    /// Parses and runs a command line. A command line that does not parse (unknown command or
    /// option, missing required option, unparsable value) is a usage error: one line, exit 2.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration configuration, CancellationToken cancellationToken)
    {
        ParseResult parse = BuildRootCommand().Parse(args);
        if (parse.Errors.Count > 0)
        {
            string command = string.Join(' ', parse.CommandResult.Command.Name == "funcingest" ? ["funcingest"] : new[] { "funcingest", parse.CommandResult.Command.Name });
            configuration.Error.WriteLine($"error: {string.Join("; ", parse.Errors.Select(e => OneLine(e.Message)))} (see `{command} --help`)");
            return ExitCodes.BadConfiguration;
        }

        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    public static FuncIngestSettings LoadSettings(ParseResult parse) =>
        SettingsSources.Load(parse.GetValue(SettingsFiles) ?? [], parse.GetValue(BendConfig), parse.GetValue(Set) ?? []);

    /// <summary>The logging of one command: standard error, quiet unless <c>--verbose</c>.</summary>
    public static ILoggerFactory Logs(ParseResult parse) => new CliLoggerFactory(parse.InvocationConfiguration.Error, parse.GetValue(Verbose));

    /// <summary>Runs a command body, turning every failure into one line and the exit code docs/cli.md promises.</summary>
    public static async Task<int> GuardAsync(ParseResult parse, Func<TextWriter, Task<int>> body, CancellationToken cancellationToken = default)
    {
        TextWriter error = parse.InvocationConfiguration.Error;
        TextWriter output = parse.InvocationConfiguration.Output;
        try
        {
            return await body(output);
        }
#pragma warning disable CA1031 // The guard's job: no exception reaches the user as a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            (int code, string line) = Describe(e, cancellationToken.IsCancellationRequested);
            error.WriteLine(line);
            if (parse.GetValue(Verbose))
            {
                error.WriteLine(e.ToString());
            }

            return code;
        }
    }

    /// <summary>The exit code and the one-line message of a failure.</summary>
    internal static (int Code, string Line) Describe(Exception e, bool cancelled)
    {
        switch (e)
        {
            case AggregateException aggregate when aggregate.Flatten().InnerExceptions is { Count: > 0 } inner:
                // Azure's retry policy wraps every attempt's failure; the last one is the current state.
                return Describe(inner[^1], cancelled);
            case FuncIngest.Operations.OperationRefusedException refused:
                return (refused.IsUsageError ? ExitCodes.BadConfiguration : ExitCodes.ProblemFound, $"error: {OneLine(refused.Message)}");
            case FuncIngestConfigurationException config:
                return (ExitCodes.BadConfiguration, $"error: {OneLine(config.Message)}");
            case OperationCanceledException when cancelled:
                return (ExitCodes.Interrupted, "error: interrupted");
            case DatabendException databend when databend.ServerCode is null:
                return (ExitCodes.DependencyFailed, $"error: Databend: {OneLine(databend.Message)}; check DatabendDsn (host, port, sslmode) and that Databend is up");
            case DatabendException databend:
                return (ExitCodes.DependencyFailed, $"error: Databend: {OneLine(databend.Message)}");
            case KafkaException kafka:
                return (ExitCodes.DependencyFailed, $"error: Kafka: {OneLine(kafka.Error.Reason)}; check KafkaBrokerList, KafkaProtocol and the credentials");
            case RequestFailedException storage when storage.Status == 0:
                return (ExitCodes.DependencyFailed, $"error: stage storage: cannot reach the storage endpoint ({OneLine(storage.GetBaseException().Message)}); check StageConnectionString and that the storage is up");
            case RequestFailedException storage:
                return (ExitCodes.DependencyFailed, $"error: stage storage: {storage.Status} {storage.ErrorCode}: {OneLine(storage.Message)}");
            case HttpRequestException or TimeoutException or IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException:
                return (ExitCodes.DependencyFailed, $"error: {OneLine(e.Message)}");
            case FormatException or System.Text.Json.JsonException:
                // Malformed input from Kafka, the stage or Databend (settings are checked at start).
                return (ExitCodes.DependencyFailed, $"error: malformed data: {OneLine(e.Message)}");
            default:
                return (ExitCodes.Unexpected, $"error: unexpected {e.GetType().Name}: {OneLine(e.Message)} (a bug: please report it with the output of --verbose)");
        }
    }

    /// <summary>The first line of a message, so every error stays one line (Azure's messages carry a multi-line report).</summary>
    internal static string OneLine(string message)
    {
        string first = message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return first.TrimEnd('.');
    }
}
