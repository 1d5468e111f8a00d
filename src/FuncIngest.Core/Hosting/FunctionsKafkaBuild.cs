namespace FuncIngest.Hosting;

/// <summary>
/// The Kafka security a build of the Functions app connects with. The Kafka extension takes the
/// trigger's <c>Protocol</c> and <c>AuthenticationMode</c> as enums compiled into the function
/// metadata and resolves only its string properties from app settings
/// (Azure/azure-functions-kafka-extension 4.3.2, <c>KafkaTriggerAttributeBindingProvider.CreateConsumerConfiguration</c>),
/// so the settings <c>KafkaProtocol</c> and <c>KafkaAuthenticationMode</c> can only confirm what
/// the build does; <see cref="FuncIngestSettings.ValidateForFunctions"/> refuses them when they
/// say otherwise.
/// </summary>
/// <param name="Protocol">The security protocol, as <c>KafkaProtocol</c> names it.</param>
/// <param name="AuthenticationMode">The SASL mechanism, as <c>KafkaAuthenticationMode</c> names it; null when the protocol has no SASL.</param>
public sealed record FunctionsKafkaBuild(string Protocol, string? AuthenticationMode)
{
    /// <summary>Debug builds (what <c>func start</c> runs): plaintext, no SASL, the broker of docker-compose.yml.</summary>
    public static FunctionsKafkaBuild Debug { get; } = new("Plaintext", null);

    /// <summary>
    /// Release builds (what is published): SASL_SSL with PLAIN, what Azure Event Hubs' Kafka
    /// endpoint and Confluent Cloud expect. The Bicep deploys exactly these settings.
    /// </summary>
    public static FunctionsKafkaBuild Release { get; } = new("SaslSsl", "Plain");

    /// <summary>How the docs and error messages name this security set-up.</summary>
    public override string ToString() => AuthenticationMode is null ? Protocol : $"{Protocol} with SASL {AuthenticationMode}";
}
