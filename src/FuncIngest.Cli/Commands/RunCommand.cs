using System.CommandLine;
using FuncIngest.Cli.Configuration;
using FuncIngest.Cli.Daemon;
using FuncIngest.Cli.Progress;
using FuncIngest.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest run</c>.</summary>
internal static class RunCommand
{
    private static readonly Option<double> s_exitWhenIdle = new("--exit-when-idle")
    {
        Description = "Exit after this many seconds with every assigned partition read to its end and everything loaded (for batch jobs and tests). Default: FuncIngest:Run:ExitWhenIdleSeconds, or run until stopped.",
    };

    public static Command Build()
    {
        var command = new Command("run", "Consume the topics as a consumer group, stage batches, commit offsets after staging, and load them into Databend. On a terminal: a table per partition (consumed, staged, loaded to, end, lag, rates) refreshing every second; redirected: a progress line every 5 s.");
        command.Options.Add(s_exitWhenIdle);
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            IConfiguration configuration = SettingsSources.Build(parse.GetValue(CliApplication.SettingsFiles) ?? [], parse.GetValue(CliApplication.BendConfig), parse.GetValue(CliApplication.Set) ?? []);
            FuncIngestSettings settings = FuncIngestSettings.Bind(configuration);
            settings.Validate(kafka: true, databend: true, stage: true);
            var run = new RunOptions();
            try
            {
                configuration.GetSection("FuncIngest:Run").Bind(run);
            }
            catch (InvalidOperationException e)
            {
                // The binder names the value's path: "... at 'FuncIngest:Run:MaxBatchRecords' to type ...".
                string setting = System.Text.RegularExpressions.Regex.Match(e.Message, "at '(?<path>[^']+)'", System.Text.RegularExpressions.RegexOptions.CultureInvariant) is { Success: true } path
                    ? path.Groups["path"].Value
                    : "FuncIngest:Run";
                throw new FuncIngestConfigurationException(setting, $"'{configuration[setting]}' is not a number.");
            }

            if (parse.GetValue(s_exitWhenIdle) is > 0 and var idle)
            {
                run.ExitWhenIdleSeconds = idle;
            }

            run.Validate();
            using ILoggerFactory logs = CliApplication.Logs(parse);
            var pipeline = new IngestPipeline(settings, Clients.Stage(settings), Clients.Databend(settings), logs);
            if (CliConsole.Live(output) is not { } terminal)
            {
                using var daemon = new IngestDaemon(pipeline, run, logs, output);
                return await daemon.RunAsync(cancellationToken);
            }

            var model = new RunProgressModel();
            return await LiveRunView.ShowAsync(terminal, model, async lines =>
            {
                using var daemon = new IngestDaemon(pipeline, run, logs, lines, model);
                return await daemon.RunAsync(cancellationToken);
            }, LiveRunView.Refresh);
        }, cancellationToken));
        return command;
    }
}
