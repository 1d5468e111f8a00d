using System.CommandLine;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest init</c>: container, table, ledger and stage; safe to run twice.</summary>
internal static class InitCommand
{
    public static Command Build()
    {
        var command = new Command("init", "Create the staging container, the target table (raw mode), the ledger table and the Databend stage. Safe to run twice.");
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            settings.Validate(kafka: false, databend: true, stage: true);
            if (Clients.Stage(settings) is AzureBlobStageStore blobStage)
            {
                await blobStage.EnsureContainerAsync(cancellationToken);
                output.WriteLine($"stage container '{settings.StageContainer}': ready");
            }

            using DatabendClient client = Clients.Databend(settings)();
            await DatabendSetup.EnsureAsync(client, settings.Staging, settings.Loader, settings.StageConnectionForSetup(), cancellationToken);
            output.WriteLine($"table '{settings.Staging.Table}' ({settings.Staging.Encoding.Mode} mode), ledger '{settings.Loader.LedgerTable}', {(settings.UsesInternalStage ? "internal " : string.Empty)}stage '{settings.Loader.StageName}': ready");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
