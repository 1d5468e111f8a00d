using System.CommandLine;
using Azure;
using Azure.Storage.Blobs;
using Confluent.Kafka;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest doctor</c>: check the settings and reach Kafka, the stage and Databend, each with an actionable message.</summary>
internal static class DoctorCommand
{
    public static Command Build()
    {
        var command = new Command("doctor", "Check the configuration and reach Kafka, the stage and Databend; say what to fix. Exit 1 if anything is wrong.");
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            int problems = 0;
            var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            void Report(string check, string? problem)
            {
                output.WriteLine(problem is null ? $"ok      {check}" : $"PROBLEM {check}: {problem}");
                problems += problem is null ? 0 : 1;
            }

            foreach ((string part, bool kafka, bool databend, bool stage) in new[] { ("FuncIngest settings", false, false, false), ("Kafka settings", true, false, false), ("Databend settings", false, true, false), ("stage settings", false, false, true) })
            {
                try
                {
                    settings.Validate(kafka, databend, stage);
                    Report(part, null);
                }
                catch (FuncIngestConfigurationException e) when (!reported.Add(e.Setting))
                {
                    // Validate stops at the first problem, and the parts share settings (FuncIngest:*,
                    // DatabendDsn for an internal stage): a setting already reported is not repeated.
                    problems++;
                }
                catch (FuncIngestConfigurationException e)
                {
                    Report(part, e.Message);
                }
            }

            if (problems > 0)
            {
                output.WriteLine("fix the settings above first (see docs/configuration.md)");
                return ExitCodes.ProblemFound;
            }

            // A warning, not a problem: a private network can be a deliberate choice.
            foreach (string plaintext in settings.PlaintextWarnings())
            {
                output.WriteLine($"WARNING {plaintext}");
            }

            using ILoggerFactory logs = CliApplication.Logs(parse);
            Report($"Kafka {settings.KafkaBrokerList}", CheckKafka(settings, logs));
            if (settings.UsesInternalStage)
            {
                Report($"internal stage '{settings.Loader.StageName}'", await CheckInternalStageAsync(settings, cancellationToken));
            }
            else
            {
                Report($"stage container '{settings.StageContainer}'", await CheckStageAsync(settings, cancellationToken));
            }

            Report("Databend", await CheckDatabendAsync(settings, cancellationToken));
            if (!string.IsNullOrWhiteSpace(settings.SchemaRegistryUrl))
            {
                Report($"Schema Registry {settings.SchemaRegistryUrl}", await CheckSchemaRegistryAsync(settings, cancellationToken));
            }

            return problems == 0 ? ExitCodes.Ok : ExitCodes.ProblemFound;
        }, cancellationToken));
        return command;
    }

    /// <summary>Lists the registry's subjects: reachable, and the credentials (if any) accepted.</summary>
    private static async Task<string?> CheckSchemaRegistryAsync(FuncIngestSettings settings, CancellationToken cancellationToken)
    {
        using FuncIngest.Schemas.SchemaRegistrySchemas registry = FuncIngest.Schemas.SchemaRegistrySchemas.Create(settings.SchemaRegistryUrl!, settings.SchemaRegistryKey, settings.SchemaRegistrySecret, requestTimeoutMs: 10_000, maxRetries: 1);
        try
        {
            await registry.CheckAsync(cancellationToken);
            return null;
        }
        catch (FuncIngest.Schemas.SchemaRegistryUnavailableException e)
        {
            return $"{e.Message}; check SchemaRegistryUrl{(string.IsNullOrEmpty(settings.SchemaRegistryKey) ? string.Empty : ", SchemaRegistryKey and SchemaRegistrySecret")}";
        }
    }

    private static string? CheckKafka(FuncIngestSettings settings, ILoggerFactory logs)
    {
        try
        {
            // librdkafka checks KafkaConsumer:* properties only when a client is built, as run does at start.
            KafkaClients.Build(KafkaClients.Consumer(settings.ConsumerConfig(), logs), settings).Dispose();
        }
        catch (FuncIngestConfigurationException e)
        {
            return e.Message;
        }

        using IAdminClient admin = KafkaClients.Admin(settings, logs, socketTimeoutMs: 5000);
        try
        {
            var missing = new List<string>();
            foreach (string topic in settings.Topics)
            {
                TopicMetadata? metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.FirstOrDefault();
                if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
                {
                    missing.Add(topic);
                }
            }

            return missing.Count == 0 ? null : $"topic(s) {string.Join(", ", missing)} not found; check KafkaTopics or create them";
        }
        catch (KafkaException e)
        {
            return $"cannot reach the brokers ({e.Error.Reason}); check KafkaBrokerList, KafkaProtocol and credentials, and that the network allows it";
        }
    }

    private static async Task<string?> CheckStageAsync(FuncIngestSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            var container = new BlobContainerClient(settings.StageConnectionString, settings.StageContainer);
            if (!(await container.ExistsAsync(cancellationToken)).Value)
            {
                return "the container does not exist; run `funcingest init`";
            }

            BlobClient probe = container.GetBlobClient($"_doctor/{Guid.NewGuid():N}");
            await probe.UploadAsync(BinaryData.FromString("probe"), cancellationToken);
            await probe.DeleteAsync(cancellationToken: cancellationToken);
            return null;
        }
        catch (RequestFailedException e)
        {
            return $"storage answered {e.Status} {e.ErrorCode}; check StageConnectionString (account, key, endpoint)";
        }
        catch (Exception e) when (e is HttpRequestException or AggregateException or TimeoutException)
        {
            return $"cannot reach the storage endpoint ({e.GetBaseException().Message}); check StageConnectionString";
        }
    }

    /// <summary>Writes, lists and removes a probe file through PRESIGN, as staging does.</summary>
    private static async Task<string?> CheckInternalStageAsync(FuncIngestSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            FuncIngest.Staging.IStageStore store = Clients.Stage(settings);
            string path = $"_doctor/{Guid.NewGuid():N}";
            await using (FuncIngest.Staging.IStageUpload upload = await store.StartUploadAsync(path, cancellationToken))
            {
                await upload.Content.WriteAsync("probe"u8.ToArray(), cancellationToken);
                await upload.CommitAsync(new Dictionary<string, string>(), cancellationToken);
            }

            await store.DeleteAsync(path, cancellationToken);
            return null;
        }
        catch (DatabendException e)
        {
            return $"Databend answered {e.Message}; run `funcingest init` to create the stage, and check that this machine can reach the URLs PRESIGN returns. "
                + "An internal stage needs Databend storage that can presign (S3, Azure Blob, GCS ...): a Databend on local disk, as in docker-compose.yml, cannot serve one; use StageKind=AzureBlob there";
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            return $"cannot reach Databend or its presigned URLs ({e.GetBaseException().Message})";
        }
    }

    private static async Task<string?> CheckDatabendAsync(FuncIngestSettings settings, CancellationToken cancellationToken)
    {
        DatabendClientOptions options = DatabendDsn.Parse(settings.DatabendDsn!);
        options.MaxRetries = 1;
        options.RequestTimeout = TimeSpan.FromSeconds(10);
        using var client = new DatabendClient(options);
        string? version;
        try
        {
            version = (await client.ExecuteAsync("SELECT version()", cancellationToken)).Rows[0][0];
        }
        catch (DatabendException e)
        {
            return e.ServerCode is not null
                ? $"Databend refused: {e.Message}; check the user, password and database in DatabendDsn"
                : $"cannot reach Databend at {options.BaseAddress} ({e.Message}); check DatabendDsn host, port and sslmode";
        }

        if (DatabendServerVersion.Check(version, settings.UsesInternalStage) is { } tooOld)
        {
            return tooOld;
        }

        foreach (string table in new[] { settings.Staging.Table, settings.Loader.LedgerTable })
        {
            try
            {
                await client.ExecuteAsync($"DESC {DatabendSql.QuoteIdentifier(table)}", cancellationToken);
            }
            catch (DatabendException e) when (e.ServerCode is not null)
            {
                return $"table '{table}' is not usable ({e.Message}); run `funcingest init`";
            }
        }

        return null;
    }
}
