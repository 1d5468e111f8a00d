using Microsoft.Azure.Functions.Worker;

namespace FuncIngest.Functions.Ingest;

/// <summary>
/// The Kafka trigger's connection, shared by every ingest function. The extension resolves
/// <see cref="BrokerList"/>, <see cref="Username"/> and <see cref="Password"/> as app setting
/// names and <c>%…%</c> expressions from app settings; the security protocol is an enum
/// fixed when the app is built, and must agree with <see cref="CompiledKafkaProtocol"/>; so is
/// the SASL mechanism (the extension resolves only string properties from settings).
/// </summary>
internal static class KafkaConnection
{
    public const string BrokerList = "KafkaBrokerList";
    public const string ConsumerGroup = "%KafkaConsumerGroup%";
    public const string Username = "KafkaUsername";
    public const string Password = "KafkaPassword";

#if DEBUG
    // `func start` builds Debug: the plaintext Kafka of docker-compose.yml.
    public const BrokerProtocol Protocol = BrokerProtocol.NotSet;
    public const BrokerAuthenticationMode AuthenticationMode = BrokerAuthenticationMode.NotSet;
#else
    // Published (Release) builds: SASL_SSL with PLAIN, what Azure Event Hubs' Kafka endpoint
    // ($ConnectionString / the namespace connection string) and Confluent Cloud (API key and
    // secret) both expect.
    public const BrokerProtocol Protocol = BrokerProtocol.SaslSsl;
    public const BrokerAuthenticationMode AuthenticationMode = BrokerAuthenticationMode.Plain;
#endif
}
