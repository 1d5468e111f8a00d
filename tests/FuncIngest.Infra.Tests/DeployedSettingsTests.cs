using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FuncIngest.Hosting;
using FuncIngest.Ndjson;
using FuncIngest.TestSupport;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Infra.Tests;

/// <summary>
/// What `azd up` would set, worked out from the compiled Bicep with the values of the deploy
/// walkthrough substituted into main.parameters.json as azd substitutes them, and validated with
/// the app's own start-up checks (<see cref="FuncIngestSettings.ValidateForFunctions"/> for the
/// Release build that is published, <see cref="TelemetryAuthentication"/>).
/// </summary>
public sealed partial class DeployedSettingsTests
{
    private static readonly Lazy<Task<JsonObject>> s_compiled = new(CompileAsync);

    [Fact]
    public async Task The_readme_walkthrough_deploys_settings_that_pass_the_app_s_start_up_validation()
    {
        Dictionary<string, string?> settings = await DeployedSettingsAsync(ReadmeEnvironment());

        FuncIngestSettings bound = Bind(settings);
        bound.ValidateForFunctions(FunctionsKafkaBuild.Release);

        Assert.Equal(["orders"], bound.Topics);
        Assert.Equal("0 */5 * * * *", bound.FuncIngestSweepSchedule);
        // Secrets arrive through Key Vault references, resolved here from the vault module's secrets.
        Assert.Equal("$ConnectionString", bound.KafkaUsername);
        Assert.StartsWith("Endpoint=sb://", bound.KafkaPassword, StringComparison.Ordinal);
        Assert.Contains("AccountKey=", bound.StageConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_s_telemetry_credential_is_the_identity_the_host_storage_uses()
    {
        Dictionary<string, string?> settings = await DeployedSettingsAsync(ReadmeEnvironment());

        TelemetryAuthentication telemetry = TelemetryAuthentication.Parse(settings[TelemetryAuthentication.Setting]);

        Assert.True(telemetry.UsesEntraId);
        Assert.Equal(ArmEvaluator.IdentityClientId, telemetry.ClientId);
        Assert.Equal(ArmEvaluator.IdentityClientId, settings["AzureWebJobsStorage__clientId"]);
        Assert.False(string.IsNullOrEmpty(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]));
    }

    [Theory]
    [InlineData("KAFKA_TOPIC", "orders,payments", "KafkaTopics")]
    [InlineData("FUNCINGEST_TABLE", "order-events", "FuncIngest:Staging:Table")]
    [InlineData("FUNCINGEST_VALUE_FORMAT", "Avro", "SchemaRegistryUrl")]
    [InlineData("SCHEMA_REGISTRY_URL", "https://key:secret@registry.example", "SchemaRegistryUrl")]
    public async Task A_value_the_app_refuses_is_caught_from_the_compiled_template(string variable, string value, string setting)
    {
        Dictionary<string, string> environment = ReadmeEnvironment();
        environment[variable] = value;

        Dictionary<string, string?> settings = await DeployedSettingsAsync(environment);

        Assert.Equal(setting, Assert.Throws<FuncIngestConfigurationException>(() => Bind(settings).ValidateForFunctions(FunctionsKafkaBuild.Release)).Setting);
    }

    [Theory]
    [InlineData("KAFKA_PASSWORD", "", "kafkaPassword")]
    [InlineData("KAFKA_USERNAME", "", "kafkaUsername")]
    [InlineData("KAFKA_TOPIC", "", "kafkaTopic")]
    [InlineData("AZURE_LOCATION", "westindia", "location")]
    [InlineData("FUNCINGEST_VALUE_FORMAT", "Protobuf", "valueFormat")]
    [InlineData("FUNCINGEST_KEY_FORMAT", "avro", "keyFormat")]
    public async Task A_value_arm_refuses_stops_the_deployment_before_anything_is_written(string variable, string value, string parameter)
    {
        // An empty SASL secret never reaches Key Vault: the parameter is refused first. West India
        // has no Flex Consumption, so azd does not offer it.
        Dictionary<string, string> environment = ReadmeEnvironment();
        environment[variable] = value;

        ArmValidationException e = await Assert.ThrowsAsync<ArmValidationException>(() => DeployedSettingsAsync(environment));

        Assert.Contains($"'{parameter}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_key_vault_secret_the_deployment_writes_has_a_value()
    {
        Dictionary<string, string?> secrets = Secrets(Deployment(await s_compiled.Value, ReadmeEnvironment()).Module("keyvault"));

        Assert.Equal(["databend-dsn", "kafka-password", "stage-connection-string"], secrets.Keys.Order(StringComparer.Ordinal));
        Assert.All(secrets, s => Assert.False(string.IsNullOrEmpty(s.Value), $"Key Vault secret '{s.Key}' would be written empty."));
    }

    [Fact]
    public async Task Schema_registry_parameters_deploy_its_settings_with_the_secret_in_key_vault()
    {
        Dictionary<string, string> environment = ReadmeEnvironment();
        environment["SCHEMA_REGISTRY_URL"] = "https://psrc-example.westeurope.azure.confluent.cloud";
        environment["SCHEMA_REGISTRY_KEY"] = "SRKEY123";
        environment["SCHEMA_REGISTRY_SECRET"] = "sr-secret/with+chars=";
        environment["FUNCINGEST_VALUE_FORMAT"] = "Avro";
        environment["FUNCINGEST_KEY_FORMAT"] = "Auto";

        Dictionary<string, string?> written = await AppSettingsAsync(environment);
        Dictionary<string, string?> secrets = Secrets(Deployment(await s_compiled.Value, environment).Module("keyvault"));
        FuncIngestSettings bound = Bind(await DeployedSettingsAsync(environment));
        bound.ValidateForFunctions(FunctionsKafkaBuild.Release);

        // The secret is never a plain setting: a Key Vault reference to the secret the vault module writes.
        Assert.Equal("schema-registry-secret", KeyVaultReference().Match(written["SchemaRegistrySecret"]!).Groups["name"].Value);
        Assert.Equal("sr-secret/with+chars=", secrets["schema-registry-secret"]);
        Assert.Equal("https://psrc-example.westeurope.azure.confluent.cloud", written["SchemaRegistryUrl"]);
        Assert.Equal("SRKEY123", written["SchemaRegistryKey"]);
        Assert.Equal("sr-secret/with+chars=", bound.SchemaRegistrySecret);
        Assert.Equal(PayloadFormat.Avro, bound.Staging.Encoding.ValueFormat);
        Assert.Equal(PayloadFormat.Auto, bound.Staging.Encoding.KeyFormat);
        Assert.True(bound.Staging.Encoding.UsesSchemaRegistry);
    }

    [Fact]
    public async Task A_registry_key_without_its_secret_is_caught_from_the_compiled_template()
    {
        Dictionary<string, string> environment = ReadmeEnvironment();
        environment["SCHEMA_REGISTRY_URL"] = "https://registry.example";
        environment["SCHEMA_REGISTRY_KEY"] = "SRKEY123";

        Dictionary<string, string?> settings = await DeployedSettingsAsync(environment);

        Assert.Equal("SchemaRegistrySecret", Assert.Throws<FuncIngestConfigurationException>(() => Bind(settings).ValidateForFunctions(FunctionsKafkaBuild.Release)).Setting);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://registry.example")]
    public async Task Without_registry_credentials_no_registry_secret_or_credential_setting_is_deployed(string? url)
    {
        // The walkthrough sets no registry; a registry without basic auth sets the URL only.
        Dictionary<string, string> environment = ReadmeEnvironment();
        if (url is not null)
        {
            environment["SCHEMA_REGISTRY_URL"] = url;
        }

        Dictionary<string, string?> written = await AppSettingsAsync(environment);
        Dictionary<string, string?> secrets = Secrets(Deployment(await s_compiled.Value, environment).Module("keyvault"));
        FuncIngestSettings bound = Bind(await DeployedSettingsAsync(environment));
        bound.ValidateForFunctions(FunctionsKafkaBuild.Release);

        Assert.DoesNotContain("SchemaRegistryKey", written.Keys);
        Assert.DoesNotContain("SchemaRegistrySecret", written.Keys);
        Assert.DoesNotContain("schema-registry-secret", secrets.Keys);
        Assert.Equal(url, written.GetValueOrDefault("SchemaRegistryUrl"));
        Assert.Equal("Json", written["FuncIngest__Staging__Encoding__ValueFormat"]);
        Assert.Equal("Json", written["FuncIngest__Staging__Encoding__KeyFormat"]);
        Assert.False(bound.Staging.Encoding.UsesSchemaRegistry);
        using Schemas.SchemaRegistrySchemas? registry = bound.CreateSchemaRegistry();
        Assert.Equal(url is not null, registry is not null);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("false", null)]
    [InlineData("true", true)]
    public async Task Key_vault_purge_protection_is_off_unless_asked_for(string? setting, bool? expected)
    {
        // Off, `azd down --purge` frees the vault's name for the next `azd up`; the service accepts
        // only true or nothing for enablePurgeProtection (false is refused), hence null.
        Dictionary<string, string> environment = ReadmeEnvironment();
        if (setting is not null)
        {
            environment["FUNCINGEST_KEYVAULT_PURGE_PROTECTION"] = setting;
        }

        ArmEvaluator vault = Deployment(await s_compiled.Value, environment).Module("keyvault");
        JsonObject resource = vault.Resources().Single(r => (string?)r["type"] == "Microsoft.KeyVault/vaults");

        Assert.Equal(expected, (bool?)vault.Evaluate(resource["properties"]!["enablePurgeProtection"]));
    }

    [Fact]
    public async Task The_location_is_offered_by_azd_from_the_flex_consumption_regions_only()
    {
        JsonObject location = (await s_compiled.Value)["parameters"]!["location"]!.AsObject();

        Assert.Equal("location", (string?)location["metadata"]!["azd"]!["type"]);
        string[] regions = [.. location["allowedValues"]!.AsArray().Select(r => (string)r!)];
        Assert.Contains("westeurope", regions);
        Assert.DoesNotContain("westindia", regions);
    }

    private static FuncIngestSettings Bind(Dictionary<string, string?> appSettings) =>
        // An app setting A__B reaches the worker's configuration as the key A:B.
        FuncIngestSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(appSettings.ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => s.Value))
            .Build());

    /// <summary>The function app's settings as the deployment writes them (Key Vault references unresolved).</summary>
    private static async Task<Dictionary<string, string?>> AppSettingsAsync(Dictionary<string, string> environment) =>
        Deployment(await s_compiled.Value, environment).Module("function").Parameter("appSettings")!.AsObject()
            .ToDictionary(s => s.Key, s => (string?)s.Value, StringComparer.Ordinal);

    /// <summary>The function app's settings as deployed, Key Vault references replaced by the secrets they name.</summary>
    private static async Task<Dictionary<string, string?>> DeployedSettingsAsync(Dictionary<string, string> environment)
    {
        Dictionary<string, string?> secrets = Secrets(Deployment(await s_compiled.Value, environment).Module("keyvault"));
        return (await AppSettingsAsync(environment)).ToDictionary(s => s.Key, s =>
        {
            string? value = s.Value;
            if (value is not null && KeyVaultReference().Match(value) is { Success: true } reference)
            {
                string secret = reference.Groups["name"].Value;
                return secrets.TryGetValue(secret, out string? resolved) ? resolved : throw new InvalidOperationException($"{s.Key} refers to secret '{secret}', which the deployment does not write.");
            }

            return value;
        });
    }

    /// <summary>The secrets the vault module writes (deployed ones only), by name.</summary>
    private static Dictionary<string, string?> Secrets(ArmEvaluator vault) =>
        vault.Resources()
            .Where(r => (string?)r["type"] == "Microsoft.KeyVault/vaults/secrets" && vault.IsDeployed(r))
            .ToDictionary(r => ((string)vault.Evaluate(r["name"])!).Split('/')[^1], r => (string?)vault.Evaluate(r["properties"]!["value"]));

    /// <summary>main.bicep with main.parameters.json, its ${VAR} and ${VAR=default} substituted from the azd environment.</summary>
    private static ArmEvaluator Deployment(JsonObject template, Dictionary<string, string> environment)
    {
        JsonObject parameters = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("infra", "main.parameters.json")))!["parameters"]!.AsObject();
        var supplied = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, JsonNode? parameter) in parameters)
        {
            supplied[name] = AzdVariable().Replace((string)parameter!["value"]!, m =>
                environment.TryGetValue(m.Groups["name"].Value, out string? set) ? set : m.Groups["default"].Value);
        }

        return new ArmEvaluator(template, supplied);
    }

    /// <summary>The azd environment the deploy walkthrough (docs/deploying.md) builds (`azd env new`, `azd env set`), placeholders filled in.</summary>
    private static Dictionary<string, string> ReadmeEnvironment()
    {
        string section = RepositoryDocs.Page(RepositoryDocs.Deploying);
        section = section[..section.IndexOf("azd up", StringComparison.Ordinal)];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AZURE_ENV_NAME"] = AzdEnvNew().Match(section).Groups["name"].Value,
            ["AZURE_LOCATION"] = "westeurope",
        };
        foreach (Match set in AzdEnvSet().Matches(section))
        {
            environment[set.Groups["name"].Value] = Placeholder().Replace(set.Groups["value"].Value, m => m.Value.Contains("connection string", StringComparison.Ordinal)
                ? "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=a2V5"
                : "example");
        }

        Assert.True(environment.ContainsKey("KAFKA_TOPIC"), "The walkthrough in docs/deploying.md sets no KAFKA_TOPIC.");
        return environment;
    }

    private static async Task<JsonObject> CompileAsync()
    {
        string outFile = Path.Combine(Directory.CreateTempSubdirectory("funcingest-bicep-").FullName, "main.json");
        (int exit, string output) = await BicepCli.RunAsync("build", "main.bicep", "--outfile", outFile);
        Assert.True(exit == 0, output);
        return JsonNode.Parse(await File.ReadAllTextAsync(outFile))!.AsObject();
    }

    [GeneratedRegex(@"^azd env new (?<name>\S+)", RegexOptions.Multiline)]
    private static partial Regex AzdEnvNew();

    [GeneratedRegex(@"^azd env set (?<name>[A-Z_]+) '(?<value>[^']*)'", RegexOptions.Multiline)]
    private static partial Regex AzdEnvSet();

    [GeneratedRegex(@"\$\{(?<name>[A-Z_]+)(=(?<default>[^}]*))?\}")]
    private static partial Regex AzdVariable();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^@Microsoft\.KeyVault\(SecretUri=https://[^/]+/secrets/(?<name>[^/)]+)/?\)$")]
    private static partial Regex KeyVaultReference();
}
