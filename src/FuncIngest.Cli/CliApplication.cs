using System.CommandLine;
using Azure;
using Confluent.Kafka;
using Databend.Client;
using FuncIngest.Cli.Commands;
using FuncIngest.Cli.Configuration;
using FuncIngest.Hosting;

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
        Description = "On failure, print the full error with its causes.",
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
        return root;
    }

    public static FuncIngestSettings LoadSettings(ParseResult parse) =>
        SettingsSources.Load(parse.GetValue(SettingsFiles) ?? [], parse.GetValue(BendConfig), parse.GetValue(Set) ?? []);

    /// <summary>Runs a command body, turning failures into one clear line and an exit code.</summary>
    public static async Task<int> GuardAsync(ParseResult parse, Func<TextWriter, Task<int>> body)
    {
        TextWriter error = parse.InvocationConfiguration.Error;
        TextWriter output = parse.InvocationConfiguration.Output;
        try
        {
            return await body(output);
        }
        catch (FuncIngestConfigurationException e)
        {
            return Fail(error, parse, e, ExitCodes.BadConfiguration, $"error: {e.Message}");
        }
        catch (DatabendException e)
        {
            return Fail(error, parse, e, ExitCodes.DependencyFailed, $"error: Databend: {e.Message}");
        }
        catch (KafkaException e)
        {
            return Fail(error, parse, e, ExitCodes.DependencyFailed, $"error: Kafka: {e.Error.Reason}");
        }
        catch (RequestFailedException e)
        {
            return Fail(error, parse, e, ExitCodes.DependencyFailed, $"error: stage storage: {e.Status} {e.ErrorCode}: {e.Message.Split('\n')[0]}");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or IOException or InvalidDataException)
        {
            return Fail(error, parse, e, ExitCodes.DependencyFailed, $"error: {e.Message}");
        }
    }

    private static int Fail(TextWriter error, ParseResult parse, Exception e, int code, string line)
    {
        error.WriteLine(line);
        if (parse.GetValue(Verbose))
        {
            error.WriteLine(e.ToString());
        }
        else
        {
            error.WriteLine("(run with --verbose for details)");
        }

        return code;
    }
}
