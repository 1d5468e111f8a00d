using System.CommandLine;
using FuncIngest.Cli.Configuration;
using FuncIngest.Cli.Daemon;
using FuncIngest.Hosting;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest run</c>.</summary>
internal static class RunCommand
{
    private static readonly Option<double> s_exitWhenIdle = new("--exit-when-idle")
    {
        Description = "Exit after this many seconds with nothing to consume or load (for batch jobs and tests). Default: run until stopped.",
    };

    public static Command Build()
    {
        var command = new Command("run", "Consume the topics as a consumer group, stage batches, commit offsets after staging, and load them into Databend.");
        command.Options.Add(s_exitWhenIdle);
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            IConfiguration configuration = SettingsSources.Build(parse.GetValue(CliApplication.SettingsFiles) ?? [], parse.GetValue(CliApplication.BendConfig), parse.GetValue(CliApplication.Set) ?? []);
            FuncIngestSettings settings = FuncIngestSettings.Bind(configuration);
            settings.Validate(kafka: true, databend: true, stage: true);
            var run = new RunOptions();
            configuration.GetSection("FuncIngest:Run").Bind(run);
            if (parse.GetValue(s_exitWhenIdle) is > 0 and var idle)
            {
                run.ExitWhenIdleSeconds = idle;
            }

            run.Validate();
            using var daemon = new IngestDaemon(settings, run, Clients.Stage(settings), Clients.Databend(settings), output);
            return await daemon.RunAsync(cancellationToken);
        }));
        return command;
    }
}
