namespace FuncIngest.Functions;

/// <summary>
/// The Kafka security protocol this build of the app connects with, as the value that
/// <c>KafkaProtocol</c> must name. It lives apart from <c>Ingest/KafkaConnection.cs</c>, which
/// needs the Kafka extension's types, so that start-up validates it the same way in a build
/// without the Kafka trigger (<c>FuncIngestWithoutKafka</c>).
/// </summary>
internal static class CompiledKafkaProtocol
{
#if DEBUG
    /// <summary>Debug (what <c>func start</c> builds): the plaintext Kafka of docker-compose.yml.</summary>
    public const string Setting = "Plaintext";
#else
    /// <summary>Release (published): SASL_SSL with PLAIN.</summary>
    public const string Setting = "SaslSsl";
#endif
}
