using FuncIngest.Hosting;
using FuncIngest.Ndjson;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Core.Tests.Hosting;

public sealed class SchemaRegistrySettingsTests
{
    [Fact]
    public void Formats_and_credentials_bind_by_their_documented_names()
    {
        FuncIngestSettings settings = Bind(
            ("SchemaRegistryUrl", "https://psrc-1.westeurope.azure.confluent.cloud"), ("SchemaRegistryKey", "KEY"), ("SchemaRegistrySecret", "SECRET"),
            ("FuncIngest:Staging:Encoding:ValueFormat", "Avro"), ("FuncIngest:Staging:Encoding:KeyFormat", "auto"));

        settings.Validate(kafka: false, databend: false, stage: false);
        Assert.Equal(PayloadFormat.Avro, settings.Staging.Encoding.ValueFormat);
        Assert.Equal(PayloadFormat.Auto, settings.Staging.Encoding.KeyFormat);
        Assert.Equal(("KEY", "SECRET"), (settings.SchemaRegistryKey, settings.SchemaRegistrySecret));
        using FuncIngest.Schemas.SchemaRegistrySchemas? registry = settings.CreateSchemaRegistry();
        Assert.NotNull(registry);
    }

    [Theory]
    [InlineData("FuncIngest:Staging:Encoding:ValueFormat", "Auto", null, null, "SchemaRegistryUrl")]
    [InlineData("FuncIngest:Staging:Encoding:ValueFormat", "Avro", "ftp://registry", null, "SchemaRegistryUrl")]
    [InlineData("FuncIngest:Staging:Encoding:ValueFormat", "Avro", "https://KEY:SECRET@registry", null, "SchemaRegistryUrl")]
    [InlineData("FuncIngest:Staging:Encoding:ValueFormat", "Avro", "https://registry", "KEY", "SchemaRegistrySecret")]
    [InlineData("FuncIngest:Staging:Encoding:ValueFormat", "Protobuf", "https://registry", null, "FuncIngest:Staging:Encoding:ValueFormat")]
    public void A_wrong_registry_setting_is_named_at_start_without_echoing_credentials(string key, string value, string? url, string? apiKey, string setting)
    {
        FuncIngestConfigurationException e = Assert.ThrowsAny<FuncIngestConfigurationException>(
            () => Bind((key, value), ("SchemaRegistryUrl", url), ("SchemaRegistryKey", apiKey)).Validate(kafka: false, databend: false, stage: false));

        Assert.Equal(setting, e.Setting);
        Assert.DoesNotContain("SECRET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_values_need_no_registry_and_an_http_registry_elsewhere_is_a_warning()
    {
        Bind().Validate(kafka: false, databend: false, stage: false);
        Assert.Null(Bind().CreateSchemaRegistry());

        Assert.Contains(Bind(("SchemaRegistryUrl", "http://registry.internal:8081"), ("SchemaRegistryKey", "K"), ("SchemaRegistrySecret", "S")).PlaintextWarnings(),
            w => w.Contains("Schema Registry at registry.internal", StringComparison.Ordinal) && w.Contains("in the clear", StringComparison.Ordinal));
        Assert.DoesNotContain(Bind(("SchemaRegistryUrl", "http://127.0.0.1:8081")).PlaintextWarnings(), w => w.Contains("Schema Registry", StringComparison.Ordinal));
    }

    private static FuncIngestSettings Bind(params (string Key, string? Value)[] values)
    {
        var all = new Dictionary<string, string?> { ["FuncIngest:Staging:Table"] = "events" };
        foreach ((string key, string? value) in values)
        {
            all[key] = value;
        }

        return FuncIngestSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(all).Build());
    }
}
