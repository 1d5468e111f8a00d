using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The functions themselves (ingest trigger, durable loader, sweeper) arrive with issue 7;
// everything they call lives in FuncIngest.Core.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
await builder.Build().RunAsync();
