using FuncIngest.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
FunctionsApp.Configure(builder);
await builder.Build().RunAsync().ConfigureAwait(false);
