using FuncIngest.Hosting;

namespace FuncIngest.Functions;

/// <summary>
/// The Kafka security this build of the app connects with, which <c>KafkaProtocol</c> and
/// <c>KafkaAuthenticationMode</c> must name. It must say what <c>Ingest/KafkaConnection.cs</c>
/// compiles into the trigger (a test of the generated metadata holds the two together where the
/// Kafka extension is built); it lives apart from that file, which needs the extension's types, so
/// that start-up validates the same way in a build without the Kafka trigger (<c>FuncIngestWithoutKafka</c>).
/// To connect with another mechanism (SCRAM-SHA-512, for example), change both files (docs/functions-app.md, "Kafka connection").
/// </summary>
internal static class CompiledKafkaProtocol
{
#if DEBUG
    /// <summary>Debug (what <c>func start</c> builds): the plaintext Kafka of docker-compose.yml.</summary>
    public static FunctionsKafkaBuild Build { get; } = FunctionsKafkaBuild.Debug;
#else
    /// <summary>Release (published): SASL_SSL with PLAIN, the set-up the Bicep deploys.</summary>
    public static FunctionsKafkaBuild Build { get; } = FunctionsKafkaBuild.Release;
#endif
}
