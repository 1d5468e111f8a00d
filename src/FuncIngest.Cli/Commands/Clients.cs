using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Staging;

namespace FuncIngest.Cli.Commands;

/// <summary>Builds the stage store and Databend sessions from settings.</summary>
internal static class Clients
{
    public static IStageStore Stage(FuncIngestSettings settings) => settings.CreateStageStore(Databend(settings));

    public static Func<DatabendClient> Databend(FuncIngestSettings settings) => () => new DatabendClient(settings.DatabendDsn!);
}
