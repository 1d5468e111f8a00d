using System.Text.Json.Nodes;
using FuncIngest.TestSupport;

namespace FuncIngest.Infra.Tests;

public sealed class TemplateTests
{
    private static readonly Lazy<Task<JsonNode>> s_compiled = new(CompileAsync);

    private static readonly string[] s_requiredSettings =
    [
        "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId", "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "KafkaBrokerList", "KafkaTopics", "KafkaConsumerGroup", "KafkaProtocol", "KafkaAuthenticationMode", "KafkaUsername", "KafkaPassword",
        "DatabendDsn", "StageConnectionString", "StageContainer", "FuncIngest__Staging__Table", "FuncIngestTaskHub", "FuncIngestSweepSchedule",
        "FuncIngest__Staging__Encoding__ValueFormat", "FuncIngest__Staging__Encoding__KeyFormat",
    ];

    private static readonly string[] s_secretSettings = ["KafkaPassword", "DatabendDsn", "StageConnectionString", "SchemaRegistrySecret"];

    // Every parameter given, the optional ones too, so that every setting the template can write is written.
    private static readonly Dictionary<string, JsonNode?> s_everyParameter = new(StringComparer.Ordinal)
    {
        ["environmentName"] = "funcingest-test",
        ["location"] = "westeurope",
        ["kafkaBrokerList"] = "example.servicebus.windows.net:9093",
        ["kafkaTopic"] = "orders",
        ["kafkaUsername"] = "$ConnectionString",
        ["kafkaPassword"] = "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=a2V5",
        ["databendDsn"] = "databend://user:password@example:443/db",
        ["schemaRegistryUrl"] = "https://registry.example",
        ["schemaRegistryKey"] = "registry-key",
        ["schemaRegistrySecret"] = "registry-secret",
        ["valueFormat"] = "Avro",
        ["keyFormat"] = "Auto",
    };

    [Fact]
    public async Task Templates_build_and_lint_without_a_diagnostic()
    {
        (int build, string buildOutput) = await BicepCli.RunAsync("build", "main.bicep", "--stdout");
        (int lint, string lintOutput) = await BicepCli.RunAsync("lint", "main.bicep");

        Assert.True(build == 0, buildOutput);
        Assert.True(lint == 0 && lintOutput.Trim().Length == 0, lintOutput);
    }

    [Fact]
    public async Task Function_app_is_https_only_with_tls_1_2_flex_consumption_and_a_user_assigned_identity()
    {
        List<JsonObject> resources = Resources(await s_compiled.Value);

        JsonObject site = Assert.Single(resources, r => (string?)r["type"] == "Microsoft.Web/sites");
        Assert.True((bool)site["properties"]!["httpsOnly"]!);
        Assert.Equal("1.2", (string?)site["properties"]!["siteConfig"]!["minTlsVersion"]);
        Assert.Equal("Disabled", (string?)site["properties"]!["siteConfig"]!["ftpsState"]);
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        JsonObject plan = Assert.Single(resources, r => (string?)r["type"] == "Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
    }

    [Fact]
    public async Task Storage_is_tls_1_2_https_only_and_the_host_account_has_no_shared_key()
    {
        List<JsonObject> accounts = [.. Resources(await s_compiled.Value).Where(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts" && r["properties"] is JsonObject)];

        Assert.Equal(2, accounts.Count);
        Assert.All(accounts, a => Assert.Equal("TLS1_2", (string?)a["properties"]!["minimumTlsVersion"]));
        Assert.All(accounts, a => Assert.True((bool)a["properties"]!["supportsHttpsTrafficOnly"]!));
        Assert.All(accounts, a => Assert.False((bool)a["properties"]!["allowBlobPublicAccess"]!));
        JsonObject host = Assert.Single(accounts, a => a["tags"]!.ToString().Contains("'host'", StringComparison.Ordinal));
        Assert.False((bool)host["properties"]!["allowSharedKeyAccess"]!);
        JsonObject vault = Assert.Single(Resources(await s_compiled.Value), r => (string?)r["type"] == "Microsoft.KeyVault/vaults");
        Assert.True((bool)vault["properties"]!["enableRbacAuthorization"]!);
    }

    [Fact]
    public async Task App_settings_carry_every_name_the_code_needs_and_secrets_only_as_key_vault_references()
    {
        JsonNode compiled = await s_compiled.Value;
        JsonObject function = Assert.Single(Deployments(compiled), d => (string?)d["name"] == "function");
        // appSettings is an expression (optional settings are added with union()): evaluate it.
        JsonObject settings = new ArmEvaluator(compiled.AsObject(), s_everyParameter).Module("function").Parameter("appSettings")!.AsObject();

        Assert.Empty(s_requiredSettings.Except(settings.Select(s => s.Key)));
        Assert.All(s_secretSettings, name => Assert.Contains("@Microsoft.KeyVault(SecretUri=", settings[name]!.ToString(), StringComparison.Ordinal));
        Assert.DoesNotContain("listKeys", function["properties"]!["parameters"]!.ToJsonString(), StringComparison.Ordinal);

        // Names the app reads are spelled as the code and the local sample spell them.
        JsonObject sample = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryPaths.Combine("local.settings.sample.json"), TestContext.Current.CancellationToken))!["Values"]!.AsObject();
        Assert.Empty(settings.Select(s => s.Key).Where(k => !k.StartsWith("AzureWebJobsStorage__", StringComparison.Ordinal) && !k.StartsWith("APPLICATIONINSIGHTS_", StringComparison.Ordinal)).Except(sample.Select(s => s.Key)));
    }

    [Fact]
    public async Task Role_assignments_give_the_identity_what_it_uses_and_nothing_broader()
    {
        JsonNode compiled = await s_compiled.Value;
        JsonObject rbac = Assert.Single(Deployments(compiled), d => (string?)d["name"] == "rbac");
        string[] roleIds = [.. rbac["properties"]!["template"]!["variables"]!["roles"]!.AsObject().Select(r => (string)r.Value!)];
        List<JsonObject> assignments = [.. Resources(compiled).Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments")];

        Assert.Contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe", roleIds); // Storage Blob Data Contributor (staging)
        Assert.Contains("4633458b-17de-408a-b874-0445c86b69e6", roleIds); // Key Vault Secrets User
        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", roleIds); // Owner
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", roleIds); // Contributor
        Assert.Equal(4, assignments.Count);
        Assert.All(assignments, a => Assert.Contains("variables('roles')", (string)a["properties"]!["roleDefinitionId"]!, StringComparison.Ordinal));
        Assert.All(assignments, a => Assert.Equal("ServicePrincipal", (string?)a["properties"]!["principalType"]));
    }

    [Fact]
    public async Task Staging_role_is_scoped_to_the_staging_container_not_the_account()
    {
        JsonObject staging = Assert.Single(Resources(await s_compiled.Value), r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments"
            && ((string?)r["properties"]!["roleDefinitionId"])!.Contains("storageBlobDataContributor", StringComparison.Ordinal));

        Assert.Contains("Microsoft.Storage/storageAccounts/blobServices/containers'", (string?)staging["scope"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_publishing_credentials_are_disabled_for_ftp_and_scm()
    {
        List<JsonObject> policies = [.. Resources(await s_compiled.Value).Where(r => (string?)r["type"] == "Microsoft.Web/sites/basicPublishingCredentialsPolicies")];

        Assert.Equal(["ftp", "scm"], policies.Select(p => ((string)p["name"]!).Split('\'')[^2].Split('/')[^1]).Order());
        Assert.All(policies, p => Assert.False((bool)p["properties"]!["allow"]!));
    }

    [Fact]
    public async Task Staging_account_and_key_vault_take_network_rules_from_allowed_ip_ranges()
    {
        JsonNode compiled = await s_compiled.Value;
        Assert.NotNull(compiled["parameters"]!["allowedIpRanges"]);
        JsonObject staging = Assert.Single(Resources(compiled), a => (string?)a["type"] == "Microsoft.Storage/storageAccounts" && a["tags"]?.ToString().Contains("'staging'", StringComparison.Ordinal) == true);
        JsonObject vault = Assert.Single(Resources(compiled), r => (string?)r["type"] == "Microsoft.KeyVault/vaults");

        foreach (JsonObject resource in new[] { staging, vault })
        {
            string acls = resource["properties"]!["networkAcls"]!.ToJsonString();
            Assert.Contains("allowedIpRanges", acls, StringComparison.Ordinal);
            Assert.Contains("Deny", acls, StringComparison.Ordinal);
        }

        foreach (string module in new[] { "storage", "keyvault" })
        {
            JsonObject deployment = Assert.Single(Deployments(compiled), d => (string?)d["name"] == module);
            Assert.Contains("allowedIpRanges", deployment["properties"]!["parameters"]!["allowedIpRanges"]!.ToJsonString(), StringComparison.Ordinal);
        }
    }

    private static async Task<JsonNode> CompileAsync()
    {
        string outFile = Path.Combine(Directory.CreateTempSubdirectory("funcingest-bicep-").FullName, "main.json");
        (int exit, string output) = await BicepCli.RunAsync("build", "main.bicep", "--outfile", outFile);
        Assert.True(exit == 0, output);
        return JsonNode.Parse(await File.ReadAllTextAsync(outFile))!;
    }

    /// <summary>Every resource, including those inside nested module deployments (arrays or symbolic-name objects).</summary>
    private static List<JsonObject> Resources(JsonNode template)
    {
        var found = new List<JsonObject>();
        void Walk(JsonNode? resources)
        {
            IEnumerable<JsonNode?> items = resources switch
            {
                JsonArray array => array,
                JsonObject obj => obj.Select(p => p.Value),
                _ => [],
            };
            foreach (JsonObject resource in items.OfType<JsonObject>())
            {
                found.Add(resource);
                Walk(resource["resources"]);
                if (resource["properties"] is JsonObject { } properties && properties["template"] is JsonObject template)
                {
                    Walk(template["resources"]);
                }
            }
        }

        Walk(template["resources"]);
        return found;
    }

    private static IEnumerable<JsonObject> Deployments(JsonNode template) =>
        Resources(template).Where(r => (string?)r["type"] == "Microsoft.Resources/deployments");
}
