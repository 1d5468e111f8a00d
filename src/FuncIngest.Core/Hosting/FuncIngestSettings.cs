using System.Data.Common;
using Confluent.Kafka;
using FuncIngest.Loading;
using FuncIngest.Staging;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Hosting;

/// <summary>
/// Every setting FuncIngest reads, by the names both hosts use (Functions app settings,
/// <c>local.settings.json</c> Values, environment variables, <c>funcingest</c> flags).
/// Nested settings use <c>:</c> (or <c>__</c> in environment variables and app settings).
/// </summary>
public sealed class FuncIngestSettings
{
    /// <summary><c>KafkaBrokerList</c>: bootstrap servers, <c>host:port[,host:port]</c>.</summary>
    public string? KafkaBrokerList { get; set; }

    /// <summary>
    /// <c>KafkaTopics</c> (or, for <c>funcingest</c> only, <c>KafkaTopic</c>): one or more topics,
    /// comma-separated; exactly one for the Functions app, whose trigger reads <c>%KafkaTopics%</c>.
    /// </summary>
    public string? KafkaTopics { get; set; }

    /// <summary><c>KafkaConsumerGroup</c>. Default <c>funcingest</c> for <c>funcingest</c>; the Functions app needs it set (<c>%KafkaConsumerGroup%</c> has no default).</summary>
    public string KafkaConsumerGroup
    {
        get => _kafkaConsumerGroup;
        set
        {
            _kafkaConsumerGroup = value;
            _kafkaConsumerGroupSet = true;
        }
    }

    /// <summary><c>KafkaUsername</c> for SASL (Event Hubs: <c>$ConnectionString</c>).</summary>
    public string? KafkaUsername { get; set; }

    /// <summary><c>KafkaPassword</c> for SASL.</summary>
    public string? KafkaPassword { get; set; }

    /// <summary><c>KafkaProtocol</c>: Plaintext (default), Ssl, SaslPlaintext or SaslSsl.</summary>
    public string KafkaProtocol { get; set; } = "Plaintext";

    /// <summary><c>KafkaAuthenticationMode</c>: Plain (default), ScramSha256 or ScramSha512.</summary>
    public string KafkaAuthenticationMode { get; set; } = "Plain";

    /// <summary>
    /// <c>KafkaSessionTimeoutMs</c>: <c>funcingest</c>'s consumer-group session timeout; null keeps
    /// librdkafka's 45 s. The Functions app refuses it: there the Kafka extension's consumer takes
    /// host.json <c>extensions.kafka.sessionTimeoutMs</c>.
    /// </summary>
    public int? KafkaSessionTimeoutMs { get; set; }

    /// <summary>
    /// <c>KafkaConsumer:&lt;property&gt;</c> (environment: <c>KafkaConsumer__queued.max.messages.kbytes</c>):
    /// librdkafka consumer properties, by their librdkafka names (its CONFIGURATION.md), given as
    /// they are to <c>funcingest</c>'s consumers: e.g. <c>queued.max.messages.kbytes</c> (the
    /// prefetch queue, much of <c>run</c>'s memory with many partitions), <c>fetch.max.bytes</c>,
    /// <c>ssl.ca.location</c>, <c>client.id</c>, <c>debug</c>; those not for consumers only reach
    /// the admin client and the producer too (<see cref="ClientProperties"/>). An empty value is no
    /// setting. The properties FuncIngest sets itself are refused (<see cref="OwnedConsumerProperties"/>);
    /// librdkafka checks the others when a client is built. The Functions app refuses the
    /// section: its consumer is the Kafka extension's, set in host.json <c>extensions.kafka</c>.
    /// </summary>
    public IDictionary<string, string> KafkaConsumer { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// librdkafka consumer properties <c>funcingest</c> sets unless <see cref="KafkaConsumer"/> sets
    /// them: a prefetch queue of 8 MiB instead of librdkafka's 64 MiB, refilled within 20 ms
    /// instead of 1 s. librdkafka stops fetching while the consumer's queue holds
    /// <c>queued.max.messages.kbytes</c> and then waits <c>fetch.queue.backoff.ms</c> before it
    /// looks again (rdkafka_fetcher.c, <c>rd_kafka_toppar_fetch_decide</c>: "queued.max.messages.kbytes
    /// exceeded", <c>rd_kafka_toppar_fetch_backoff</c>), and it caps <c>fetch.max.bytes</c> at the
    /// queue's size unless it is set (rdkafka_conf.c). Measured end to end (docs/performance.md,
    /// sixth step): peak RSS lower by tens of MB, no more CPU; the smaller queue alone, with the
    /// 1 s backoff, made 10 KB records stage at 50-60% of the rate, because the queue ran dry
    /// while the fetcher waited.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DefaultConsumerProperties { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["queued.max.messages.kbytes"] = "8192",
        ["fetch.queue.backoff.ms"] = "20",
    };

    /// <summary>The configuration section of <see cref="KafkaConsumer"/>.</summary>
    public const string KafkaConsumerSection = "KafkaConsumer";

    // What FuncIngest sets itself, and the setting that sets it where there is one (names as in
    // librdkafka's CONFIGURATION.md, aliases included).
    private static readonly (string Property, string? Setting, string Why)[] s_owned =
    [
        ("bootstrap.servers", nameof(KafkaBrokerList), "set KafkaBrokerList"),
        ("metadata.broker.list", nameof(KafkaBrokerList), "set KafkaBrokerList"),
        ("group.id", nameof(KafkaConsumerGroup), "set KafkaConsumerGroup"),
        ("security.protocol", nameof(KafkaProtocol), "set KafkaProtocol"),
        ("sasl.mechanism", nameof(KafkaAuthenticationMode), "set KafkaAuthenticationMode"),
        ("sasl.mechanisms", nameof(KafkaAuthenticationMode), "set KafkaAuthenticationMode"),
        ("sasl.username", nameof(KafkaUsername), "set KafkaUsername"),
        ("sasl.password", nameof(KafkaPassword), "set KafkaPassword"),
        ("session.timeout.ms", nameof(KafkaSessionTimeoutMs), "set KafkaSessionTimeoutMs"),
        ("enable.auto.commit", null, "offsets are committed only after their records are staged, so that none is lost"),
        ("auto.commit.enable", null, "offsets are committed only after their records are staged, so that none is lost"),
        ("enable.auto.offset.store", null, "offsets are committed only after their records are staged, so that none is lost"),
        ("offset.store.method", null, "offsets are committed to the broker, only after their records are staged"),
        ("auto.offset.reset", null, "a new consumer group reads from the earliest offset, so that nothing already in the topic is skipped"),
        ("partition.assignment.strategy", null, "funcingest run's hand-over of revoked partitions is written for the cooperative-sticky assignor"),
        ("group.protocol", null, "funcingest run's hand-over of revoked partitions is written for the classic protocol with the cooperative-sticky assignor"),
        ("enable.partition.eof", null, "funcingest run turns it on to tell when it has read everything (--exit-when-idle)"),
        ("isolation.level", null, "records of aborted transactions are never loaded (read_committed)"),
    ];

    // librdkafka applies these to consumers only (CONFIGURATION.md, the rows marked C); the rest of
    // KafkaConsumer:* (connection, TLS, SASL, sockets, client.id, debug) reaches the admin client
    // and the producer too, so that they connect the way the consumer does.
    private static readonly string[] s_consumerOnlyPrefixes = ["group.", "fetch.", "queued.", "offset.store.", "auto.commit.", "enable.auto.", "coordinator.", "max.poll.", "share."];
    private static readonly string[] s_consumerOnly =
    [
        "partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms", "max.partition.fetch.bytes", "isolation.level",
        "enable.partition.eof", "check.crcs", "auto.offset.reset", "consume.callback.max.messages",
    ];

    /// <summary>
    /// The librdkafka consumer properties FuncIngest sets itself, with why, which
    /// <see cref="KafkaConsumer"/> refuses (names as in librdkafka's CONFIGURATION.md, aliases
    /// included; also with librdkafka's <c>topic.</c> prefix). Confluent.Kafka's own
    /// <c>dotnet.*</c> settings are refused as well: <c>dotnet.consumer.consume.result.fields</c>
    /// would drop headers and timestamps from every record staged.
    /// </summary>
    public static IReadOnlyDictionary<string, string> OwnedConsumerProperties { get; } =
        s_owned.ToDictionary(o => o.Property, o => o.Why, StringComparer.OrdinalIgnoreCase);

    /// <summary>The setting behind a librdkafka property FuncIngest sets from one (<c>session.timeout.ms</c>: <c>KafkaSessionTimeoutMs</c>), or null.</summary>
    public static string? SettingOfProperty(string property) =>
        Array.Find(s_owned, o => string.Equals(o.Property, property, StringComparison.OrdinalIgnoreCase)).Setting;

    /// <summary>
    /// The <see cref="KafkaConsumer"/> properties that are not for consumers only, which
    /// <c>funcingest</c>'s admin client and producer take too (TLS, SASL, sockets, <c>client.id</c>, ...).
    /// </summary>
    public IReadOnlyDictionary<string, string> ClientProperties() =>
        KafkaConsumer.Where(p => !IsConsumerOnly(WithoutTopicPrefix(p.Key))).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static bool IsConsumerOnly(string property) =>
        s_consumerOnly.Contains(property, StringComparer.Ordinal) || s_consumerOnlyPrefixes.Any(prefix => property.StartsWith(prefix, StringComparison.Ordinal));

    // librdkafka takes a topic property with the prefix "topic." as well (rdkafka_conf.c, rd_kafka_topic_conf_set).
    private static string WithoutTopicPrefix(string property) =>
        property.StartsWith("topic.", StringComparison.OrdinalIgnoreCase) ? property["topic.".Length..] : property;

    private static string? RefusalOf(string property) =>
        property.StartsWith("dotnet.", StringComparison.OrdinalIgnoreCase)
            ? "Confluent.Kafka's own settings decide what each consumed record carries (headers, timestamp, topic), all of which FuncIngest stages"
            : OwnedConsumerProperties.GetValueOrDefault(WithoutTopicPrefix(property));

    /// <summary>
    /// <c>SchemaRegistryUrl</c>: the Confluent Schema Registry (<c>https://host[:port]</c>, several
    /// comma-separated), needed when <c>FuncIngest:Staging:Encoding:ValueFormat</c> or
    /// <c>KeyFormat</c> is Avro, JsonSchema or Auto (docs/schema-registry.md).
    /// </summary>
    public string? SchemaRegistryUrl { get; set; }

    /// <summary><c>SchemaRegistryKey</c>: the basic-auth user (Confluent Cloud: the Schema Registry API key); empty for none.</summary>
    public string? SchemaRegistryKey { get; set; }

    /// <summary><c>SchemaRegistrySecret</c>: the basic-auth password (Confluent Cloud: the API secret).</summary>
    public string? SchemaRegistrySecret { get; set; }

    /// <summary><c>DatabendDsn</c>: <c>databend://user:password@host:port/db?...</c>.</summary>
    public string? DatabendDsn { get; set; }

    /// <summary>
    /// <c>StageKind</c>: where staged files live. <c>AzureBlob</c> (default): a Blob container
    /// Databend reads as an azblob stage. <c>DatabendInternal</c>: a Databend internal stage,
    /// reached through PRESIGN (no storage account; see README for what it gives up).
    /// </summary>
    public string StageKind { get; set; } = AzureBlobStage;

    /// <summary>True when <see cref="StageKind"/> is <c>DatabendInternal</c>.</summary>
    public bool UsesInternalStage => string.Equals(StageKind, DatabendInternalStage, StringComparison.OrdinalIgnoreCase);

    /// <summary>The <see cref="StageKind"/> value of the Blob stage.</summary>
    public const string AzureBlobStage = "AzureBlob";

    /// <summary>The <see cref="StageKind"/> value of the Databend internal stage.</summary>
    public const string DatabendInternalStage = "DatabendInternal";

    /// <summary><c>StageConnectionString</c>: the staging storage account (Databend's azblob stage needs its key).</summary>
    public string? StageConnectionString { get; set; }

    /// <summary><c>StageContainer</c>: the staging container. Default <c>funcingest</c>.</summary>
    public string StageContainer { get; set; } = "funcingest";

    /// <summary>
    /// <c>FuncIngestTaskHub</c>: the Durable Functions task hub, which host.json names as
    /// <c>%FuncIngestTaskHub%</c>. Deliberately one word without <c>__</c>: the host resolves
    /// <c>%name%</c> with <c>IConfiguration[name]</c> (WebJobs <c>DefaultNameResolver.Resolve</c>,
    /// called through <c>NameResolverExtensions.TryResolveWholeString</c> from the Durable
    /// extension's <c>DurableTaskOptions.ResolveAppSettingOptions</c>), and an app setting
    /// <c>A__B</c> reaches configuration as the key <c>A:B</c>, so <c>%A__B%</c> never resolves.
    /// </summary>
    public string? FuncIngestTaskHub { get; set; }

    /// <summary>The app setting that names the task hub (see <see cref="FuncIngestTaskHub"/>).</summary>
    public const string TaskHubSetting = nameof(FuncIngestTaskHub);

    /// <summary>
    /// <c>FuncIngestSweepSchedule</c>: when the Functions app's <c>Sweep</c> timer runs, a six-field
    /// NCRONTAB expression (<c>second minute hour day month day-of-week</c>). The timer reads it as
    /// <c>%FuncIngestSweepSchedule%</c>, which the host resolves as the configuration key of that name
    /// (azure-webjobs-sdk-extensions <c>TimerSchedule.Create</c>: <c>nameResolver.ResolveWholeString</c>);
    /// one word for the same reason as <see cref="FuncIngestTaskHub"/>. Each run wakes an instance.
    /// </summary>
    public string? FuncIngestSweepSchedule { get; set; }

    /// <summary>The app setting that holds the sweep schedule (see <see cref="FuncIngestSweepSchedule"/>).</summary>
    public const string SweepScheduleSetting = nameof(FuncIngestSweepSchedule);

    private string _kafkaConsumerGroup = "funcingest";
    private bool _kafkaConsumerGroupSet;
    private bool _topicsFromKafkaTopic;

    /// <summary><c>FuncIngest:Staging:*</c>.</summary>
    public StagingOptions Staging { get; set; } = new();

    /// <summary><c>FuncIngest:Stage:*</c>: block size and partition-lock timing of the Blob stage.</summary>
    public AzureBlobStageStoreOptions Stage { get; set; } = new();

    /// <summary><c>FuncIngest:Loader:*</c>.</summary>
    public LoaderOptions Loader { get; set; } = new();

    /// <summary>The topics, trimmed.</summary>
    public IReadOnlyList<string> Topics => (KafkaTopics ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Reads the settings from configuration.</summary>
    public static FuncIngestSettings Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = new FuncIngestSettings
        {
            KafkaBrokerList = configuration["KafkaBrokerList"],
            KafkaTopics = configuration["KafkaTopics"] ?? configuration["KafkaTopic"],
            KafkaUsername = configuration["KafkaUsername"],
            KafkaPassword = configuration["KafkaPassword"],
            DatabendDsn = configuration["DatabendDsn"],
            SchemaRegistryUrl = configuration["SchemaRegistryUrl"],
            SchemaRegistryKey = configuration["SchemaRegistryKey"],
            SchemaRegistrySecret = configuration["SchemaRegistrySecret"],
            StageConnectionString = configuration["StageConnectionString"],
            FuncIngestTaskHub = configuration[TaskHubSetting],
            FuncIngestSweepSchedule = configuration[SweepScheduleSetting],
            _topicsFromKafkaTopic = configuration["KafkaTopics"] is null && configuration["KafkaTopic"] is not null,
        };
        if (configuration["KafkaConsumerGroup"] is { } consumerGroup)
        {
            settings.KafkaConsumerGroup = consumerGroup;
        }

        settings.KafkaProtocol = configuration["KafkaProtocol"] ?? settings.KafkaProtocol;
        settings.KafkaAuthenticationMode = configuration["KafkaAuthenticationMode"] ?? settings.KafkaAuthenticationMode;
        settings.StageContainer = configuration["StageContainer"] ?? settings.StageContainer;
        settings.StageKind = configuration["StageKind"] ?? settings.StageKind;
        if (configuration["KafkaSessionTimeoutMs"] is { Length: > 0 } sessionTimeout)
        {
            settings.KafkaSessionTimeoutMs = int.TryParse(sessionTimeout, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ms) && ms > 0
                ? ms
                : throw new FuncIngestConfigurationException(nameof(KafkaSessionTimeoutMs), $"must be a positive number of milliseconds, not '{sessionTimeout}'.");
        }

        foreach (IConfigurationSection property in configuration.GetSection(KafkaConsumerSection).GetChildren())
        {
            if (property.Value is null)
            {
                // KafkaConsumer__fetch__max__bytes arrives as nested sections, not as fetch.max.bytes.
                throw new FuncIngestConfigurationException(property.Path,
                    "is not a librdkafka property: librdkafka names are written with dots after the section, e.g. KafkaConsumer__queued.max.messages.kbytes or KafkaConsumer:queued.max.messages.kbytes.");
            }

            if (property.Value.Length > 0)
            {
                settings.KafkaConsumer[property.Key] = property.Value;
            }
        }

        try
        {
            configuration.GetSection(StagingOptions.Section).Bind(settings.Staging);
            configuration.GetSection(LoaderOptions.Section).Bind(settings.Loader);
            configuration.GetSection("FuncIngest:Stage").Bind(settings.Stage);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the value's full path ("... at 'FuncIngest:Loader:RetryDelay' to type ..."): name that setting.
            System.Text.RegularExpressions.Match path = System.Text.RegularExpressions.Regex.Match(e.Message, "at '(?<path>[^']+)'", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
            string type = System.Text.RegularExpressions.Regex.Match(e.Message, "to type '(?:System\\.)?(?<type>[^']+)'", System.Text.RegularExpressions.RegexOptions.CultureInvariant).Groups["type"].Value;
            throw path.Success
                ? new FuncIngestConfigurationException(path.Groups["path"].Value, $"'{configuration[path.Groups["path"].Value]}' is not a valid {(type.Length > 0 ? type : "value")}{(type == "TimeSpan" ? " (hh:mm:ss)" : string.Empty)}.")
                : new FuncIngestConfigurationException("FuncIngest", e.Message);
        }

        return settings;
    }

    /// <summary>Checks what the command about to run needs, naming the first setting that is missing or wrong.</summary>
    public void Validate(bool kafka, bool databend, bool stage)
    {
        Staging.Validate();
        Loader.Validate();
        ValidateTables();
        ValidateSchemaRegistry();
        if (kafka)
        {
            Require(nameof(KafkaBrokerList), KafkaBrokerList, "the Kafka bootstrap servers, host:port[,host:port]");
            if (Topics.Count == 0)
            {
                throw new FuncIngestConfigurationException(nameof(KafkaTopics), "is required: one or more topics, comma-separated.");
            }

            if (Topics.FirstOrDefault(t => !Records.KafkaTopicName.IsValid(t)) is { } badTopic)
            {
                throw new FuncIngestConfigurationException(nameof(KafkaTopics), $"'{badTopic}' is not a Kafka topic name (1 to {Records.KafkaTopicName.MaxLength} of A-Z a-z 0-9 . _ -, not '.' or '..').");
            }

            _ = ConsumerConfig();
        }

        if (databend)
        {
            Require(nameof(DatabendDsn), DatabendDsn, "databend://user:password@host:port/database");
            try
            {
                global::Databend.Client.DatabendDsn.Parse(DatabendDsn!).Validate();
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new FuncIngestConfigurationException(nameof(DatabendDsn), e.Message);
            }
        }

        if (stage)
        {
            if (!string.Equals(StageKind, AzureBlobStage, StringComparison.OrdinalIgnoreCase) && !UsesInternalStage)
            {
                throw new FuncIngestConfigurationException(nameof(StageKind), $"'{StageKind}' is not {AzureBlobStage} or {DatabendInternalStage}.");
            }

            if (UsesInternalStage)
            {
                Require(nameof(DatabendDsn), DatabendDsn, "databend://user:password@host:port/database (the internal stage is reached through Databend)");
            }
            else
            {
                Require(nameof(StageConnectionString), StageConnectionString, "the staging storage account's connection string (with its key: Databend's azblob stage needs it)");
                ValidateStageContainer();
                _ = StageConnection();
                try
                {
                    _ = new Azure.Storage.Blobs.BlobContainerClient(StageConnectionString, StageContainer);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
                {
                    // The SDK's message may quote the string, which holds the account key: name the setting only.
                    throw new FuncIngestConfigurationException(nameof(StageConnectionString), "is not a storage connection string (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net, or BlobEndpoint=...).");
                }

                if (Stage.LockDuration < TimeSpan.FromSeconds(15) || Stage.LockDuration > TimeSpan.FromSeconds(60))
                {
                    throw new FuncIngestConfigurationException("FuncIngest:Stage:LockDuration", $"must be between 00:00:15 and 00:01:00 (Azure lease limits), not {Stage.LockDuration}.");
                }

                if (Stage.BlockSize < 64 * 1024)
                {
                    throw new FuncIngestConfigurationException("FuncIngest:Stage:BlockSize", $"must be at least 65536 (64 KiB), not {Stage.BlockSize}.");
                }
            }

            if (Stage.LockTimeout <= TimeSpan.Zero)
            {
                throw new FuncIngestConfigurationException("FuncIngest:Stage:LockTimeout", $"must be positive, not {Stage.LockTimeout}.");
            }
        }
    }

    /// <summary>A registry URL when a format needs one, absolute http(s) URLs, and a secret with a key.</summary>
    private void ValidateSchemaRegistry()
    {
        if (Staging.Encoding.UsesSchemaRegistry)
        {
            Require(nameof(SchemaRegistryUrl), SchemaRegistryUrl,
                $"the Confluent Schema Registry URL, because {StagingOptions.Section}:Encoding:ValueFormat is {Staging.Encoding.ValueFormat} and KeyFormat {Staging.Encoding.KeyFormat}");
        }

        if (string.IsNullOrWhiteSpace(SchemaRegistryUrl))
        {
            return;
        }

        foreach (string url in SchemaRegistryUrls())
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.UserInfo.Length > 0)
            {
                throw new FuncIngestConfigurationException(nameof(SchemaRegistryUrl),
                    $"'{(Uri.TryCreate(url, UriKind.Absolute, out Uri? shown) && shown.UserInfo.Length > 0 ? "(a URL with credentials)" : url)}' is not an http(s) URL without credentials; put the API key and secret in SchemaRegistryKey and SchemaRegistrySecret.");
            }
        }

        if (string.IsNullOrEmpty(SchemaRegistryKey) != string.IsNullOrEmpty(SchemaRegistrySecret))
        {
            throw new FuncIngestConfigurationException(string.IsNullOrEmpty(SchemaRegistryKey) ? nameof(SchemaRegistryKey) : nameof(SchemaRegistrySecret),
                "is required with the other: basic auth takes both the key (user) and the secret (password).");
        }
    }

    private string[] SchemaRegistryUrls() =>
        (SchemaRegistryUrl ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The Schema Registry client <see cref="SchemaRegistryUrl"/> names (with basic auth when
    /// <see cref="SchemaRegistryKey"/> is set), or null when it is not set.
    /// </summary>
    public Schemas.SchemaRegistrySchemas? CreateSchemaRegistry() =>
        string.IsNullOrWhiteSpace(SchemaRegistryUrl) ? null : Schemas.SchemaRegistrySchemas.Create(string.Join(',', SchemaRegistryUrls()), SchemaRegistryKey, SchemaRegistrySecret);

    /// <summary>Azure's container naming rule: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    private void ValidateStageContainer()
    {
        bool valid = StageContainer.Length is >= 3 and <= 63
            && StageContainer.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
            && StageContainer[0] != '-' && StageContainer[^1] != '-'
            && !StageContainer.Contains("--", StringComparison.Ordinal);
        if (!valid)
        {
            throw new FuncIngestConfigurationException(nameof(StageContainer), $"'{StageContainer}' is not a valid container name: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.");
        }
    }

    /// <summary>Checks that no target table is the ledger: staged files are never loaded into it.</summary>
    /// <exception cref="FuncIngestConfigurationException">A configured table is the ledger table.</exception>
    public void ValidateTables()
    {
        if (Staging.ConfiguredTables.FirstOrDefault(t => string.Equals(t, Loader.LedgerTable, StringComparison.OrdinalIgnoreCase)) is { } ledger)
        {
            throw new FuncIngestConfigurationException(
                string.Equals(ledger, Staging.Table, StringComparison.Ordinal) ? $"{StagingOptions.Section}:Table" : $"{StagingOptions.Section}:Tables",
                $"names '{ledger}', the ledger table ({LoaderOptions.Section}:LedgerTable); staged files are never loaded into the ledger.");
        }
    }

    /// <summary>
    /// What the Functions app needs beyond <see cref="Validate"/>: its ingest function reads one
    /// topic from <c>KafkaTopics</c> and its consumer group from <c>KafkaConsumerGroup</c> (both as
    /// <c>%name%</c>, without defaults), its Kafka security is fixed when the app is built, so
    /// <see cref="KafkaProtocol"/> and <see cref="KafkaAuthenticationMode"/> must name the build's
    /// rather than be silently ignored, and settings only <c>funcingest</c> reads are refused.
    /// </summary>
    /// <param name="build">The Kafka security the app was built with (<see cref="FunctionsKafkaBuild.Debug"/> or <see cref="FunctionsKafkaBuild.Release"/>).</param>
    /// <exception cref="FuncIngestConfigurationException">A setting is missing, wrong, or contradicts the build.</exception>
    public void ValidateForFunctions(FunctionsKafkaBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        if (_topicsFromKafkaTopic)
        {
            throw new FuncIngestConfigurationException(nameof(KafkaTopics),
                "is not set, but KafkaTopic is: the Functions trigger reads %KafkaTopics% (KafkaTopic is read by funcingest only).");
        }

        if (KafkaConsumer.Count > 0)
        {
            // The extension builds its consumer from its own options only (azure-functions-kafka-extension
            // KafkaListener: new ConsumerConfig { ..., QueuedMaxMessagesKbytes = options.QueuedMaxMessagesKbytes, ... }).
            throw new FuncIngestConfigurationException(KafkaConsumerSection + ":" + KafkaConsumer.Keys.First(),
                "is read by funcingest only; the Functions app's consumer is the Kafka extension's, set in host.json extensions.kafka (e.g. queuedMaxMessagesKbytes, fetchMaxBytes, maxPartitionFetchBytes). Remove the setting.");
        }

        Validate(kafka: true, databend: true, stage: true);
        if (Topics.Count != 1)
        {
            throw new FuncIngestConfigurationException(nameof(KafkaTopics),
                $"names {Topics.Count} topics, but a Functions trigger reads one; route each further topic through its own ingest function (docs/functions-app.md, \"More topics\").");
        }

        if (!_kafkaConsumerGroupSet || string.IsNullOrWhiteSpace(KafkaConsumerGroup))
        {
            throw new FuncIngestConfigurationException(nameof(KafkaConsumerGroup),
                "is required: the Functions trigger reads %KafkaConsumerGroup%, which has no default.");
        }

        if (KafkaSessionTimeoutMs is not null)
        {
            throw new FuncIngestConfigurationException(nameof(KafkaSessionTimeoutMs),
                "is read by funcingest only; the Functions app's consumer takes host.json extensions.kafka.sessionTimeoutMs. Remove the setting.");
        }

        // The Durable extension's own rule (its start-up error: "should contain only alphanumeric
        // characters, start with a letter, and have length between 3 and 45"); checked here too
        // so that the worker names the setting instead of the host failing with the raw value.
        Require(TaskHubSetting, FuncIngestTaskHub, "the Durable Functions task hub name that host.json reads as %FuncIngestTaskHub%");
        if (FuncIngestTaskHub!.Length is < 3 or > 45 || !char.IsAsciiLetter(FuncIngestTaskHub[0]) || !FuncIngestTaskHub.All(char.IsAsciiLetterOrDigit))
        {
            throw new FuncIngestConfigurationException(TaskHubSetting,
                $"is '{FuncIngestTaskHub}', but a task hub name has 3 to 45 letters and digits and starts with a letter.");
        }

        ValidateSweepSchedule();

        if (!string.Equals(Normalize(KafkaProtocol), Normalize(build.Protocol), StringComparison.Ordinal))
        {
            throw new FuncIngestConfigurationException(nameof(KafkaProtocol),
                $"is '{KafkaProtocol}', but this build of the Functions app connects with {build} (Debug builds: {FunctionsKafkaBuild.Debug}; Release builds: {FunctionsKafkaBuild.Release}). Set KafkaProtocol to {build.Protocol}, or build the app for the other protocol (docs/functions-app.md, \"Kafka connection\").");
        }

        // Without SASL no mechanism is used (as in ApplySecurity), so the setting then says nothing.
        if (build.AuthenticationMode is { } mechanism && !string.Equals(Normalize(KafkaAuthenticationMode), Normalize(mechanism), StringComparison.Ordinal))
        {
            throw new FuncIngestConfigurationException(nameof(KafkaAuthenticationMode),
                $"is '{KafkaAuthenticationMode}', but this build of the Functions app authenticates with SASL {mechanism} whatever the setting says. Set KafkaAuthenticationMode to {mechanism}, or build the app for the other mechanism (docs/functions-app.md, \"Kafka connection\").");
        }

        static string Normalize(string value) => value.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
    }

    /// <summary>
    /// A six-field NCRONTAB expression, which is all the host's timer accepts on Flex Consumption
    /// (a TimeSpan schedule needs an App Service plan: azure-webjobs-sdk-extensions
    /// <c>TimerTriggerAttribute</c>). The host's parser has the last word; this catches a missing
    /// setting, a five-field Unix cron line and a TimeSpan by name, at start.
    /// </summary>
    private void ValidateSweepSchedule()
    {
        Require(SweepScheduleSetting, FuncIngestSweepSchedule, "the Sweep timer's NCRONTAB schedule, e.g. 0 */5 * * * * (every five minutes)");
        string[] fields = FuncIngestSweepSchedule!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6 || !fields.All(f => f.All(c => char.IsAsciiLetterOrDigit(c) || c is '*' or '/' or ',' or '-')))
        {
            throw new FuncIngestConfigurationException(SweepScheduleSetting,
                $"is '{FuncIngestSweepSchedule}', but the Sweep timer needs a six-field NCRONTAB expression with seconds, e.g. 0 */5 * * * * (every five minutes) or 0 0 * * * * (hourly).");
        }
    }

    /// <summary>
    /// What is reached in plaintext on an address that is not this machine: Kafka without TLS,
    /// Databend without TLS (credentials and data in the clear), the stage over http. One line
    /// per endpoint, for <c>funcingest doctor</c>; empty when everything is encrypted or local.
    /// </summary>
    public IReadOnlyList<string> PlaintextWarnings()
    {
        var warnings = new List<string>();
        if (KafkaProtocol.ToUpperInvariant() is "PLAINTEXT" or "SASLPLAINTEXT" or "SASL_PLAINTEXT")
        {
            foreach (string broker in (KafkaBrokerList ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string host = broker.StartsWith('[') ? broker[1..Math.Max(1, broker.IndexOf(']', StringComparison.Ordinal))] : broker.Split(':')[0];
                if (!IsLoopbackHost(host))
                {
                    warnings.Add($"Kafka broker {broker} is reached without TLS (KafkaProtocol {KafkaProtocol}{(KafkaProtocol.StartsWith("Sasl", StringComparison.OrdinalIgnoreCase) ? ", so the SASL password crosses the network in the clear" : string.Empty)}); use Ssl or SaslSsl");
                }
            }
        }

        if (DatabendDsn is { Length: > 0 })
        {
            try
            {
                global::Databend.Client.DatabendClientOptions databend = global::Databend.Client.DatabendDsn.Parse(DatabendDsn);
                if (!databend.UseTls && !IsLoopbackHost(databend.Host))
                {
                    warnings.Add($"Databend at {databend.Host} is reached over http (sslmode=disable): the password and every row cross the network in the clear; remove sslmode=disable");
                }
            }
            catch (FormatException)
            {
                // Reported by Validate.
            }
        }

        if (!UsesInternalStage && StageConnectionString is { Length: > 0 })
        {
            var parts = new DbConnectionStringBuilder();
            try
            {
                parts.ConnectionString = StageConnectionString;
            }
            catch (ArgumentException)
            {
                return warnings;
            }

            string? Get(string key) => parts.TryGetValue(key, out object? value) ? value?.ToString() : null;
            string? endpoint = Get("BlobEndpoint");
            bool http = endpoint is not null
                ? endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                : string.Equals(Get("DefaultEndpointsProtocol"), "http", StringComparison.OrdinalIgnoreCase);
            string host = endpoint is not null && Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) ? uri.Host : $"{Get("AccountName")}.blob.{Get("EndpointSuffix") ?? "core.windows.net"}";
            if (http && !string.Equals(Get("UseDevelopmentStorage"), "true", StringComparison.OrdinalIgnoreCase) && !IsLoopbackHost(host))
            {
                warnings.Add($"the stage account {host} is reached over http (StageConnectionString); use https");
            }
        }

        foreach (string registry in SchemaRegistryUrls())
        {
            if (Uri.TryCreate(registry, UriKind.Absolute, out Uri? registryUri) && registryUri.Scheme == Uri.UriSchemeHttp && !IsLoopbackHost(registryUri.Host))
            {
                warnings.Add($"the Schema Registry at {registryUri.Host} is reached over http (SchemaRegistryUrl){(string.IsNullOrEmpty(SchemaRegistryKey) ? string.Empty : ", so its API key and secret cross the network in the clear")}; use https");
            }
        }

        if (Loader.StageEndpoint is { Length: > 0 } seen && Uri.TryCreate(seen, UriKind.Absolute, out Uri? databendSees)
            && databendSees.Scheme == Uri.UriSchemeHttp && !IsLoopbackHost(databendSees.Host))
        {
            warnings.Add($"Databend reaches the stage at {databendSees.Host} over http ({LoaderOptions.Section}:StageEndpoint); use https");
        }

        return warnings;
    }

    private static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary>Consumer settings: manual commits after staging, cooperative-sticky assignment, <see cref="DefaultConsumerProperties"/> and the <see cref="KafkaConsumer"/> properties.</summary>
    /// <exception cref="FuncIngestConfigurationException">A <see cref="KafkaConsumer"/> property is one FuncIngest sets itself.</exception>
    public ConsumerConfig ConsumerConfig()
    {
        foreach (string property in KafkaConsumer.Keys)
        {
            if (RefusalOf(property) is { } why)
            {
                throw new FuncIngestConfigurationException(KafkaConsumerSection + ":" + property, $"is refused: FuncIngest sets {WithoutTopicPrefix(property).ToLowerInvariant()} itself ({why}).");
            }
        }

        // ClientConfig keeps the dictionary it is given, so it gets one of its own.
        var properties = new Dictionary<string, string>(DefaultConsumerProperties, StringComparer.Ordinal);
        foreach ((string property, string value) in KafkaConsumer)
        {
            properties[property] = value;
        }

        var config = new ConsumerConfig(properties)
        {
            BootstrapServers = KafkaBrokerList,
            GroupId = KafkaConsumerGroup,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = KafkaSessionTimeoutMs,
        };
        ApplySecurity(config);
        return config;
    }

    /// <summary>Producer settings: idempotent, acks=all, and the <see cref="ClientProperties"/>.</summary>
    public ProducerConfig ProducerConfig()
    {
        var config = new ProducerConfig(new Dictionary<string, string>(ClientProperties(), StringComparer.Ordinal)) { BootstrapServers = KafkaBrokerList, EnableIdempotence = true, Acks = Acks.All };
        ApplySecurity(config);
        return config;
    }

    /// <summary>
    /// The stage store <see cref="StageKind"/> names: the Blob container (<see cref="StageConnectionString"/>,
    /// <see cref="StageContainer"/>) or the Databend internal stage <see cref="LoaderOptions.StageName"/>.
    /// </summary>
    /// <param name="databend">Makes Databend sessions, for the internal stage; default: a client per operation from <see cref="DatabendDsn"/>.</param>
    /// <param name="loggerFactory">Logs what the internal stage's listing skips; default: none.</param>
    public IStageStore CreateStageStore(Func<global::Databend.Client.DatabendClient>? databend = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null) =>
        UsesInternalStage
            ? new DatabendStageStore(databend ?? (() => new global::Databend.Client.DatabendClient(DatabendDsn!)), Loader.StageName, Stage.LockTimeout, loggerFactory is null ? null : Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<DatabendStageStore>(loggerFactory))
            : new AzureBlobStageStore(new Azure.Storage.Blobs.BlobContainerClient(StageConnectionString, StageContainer), Stage);

    /// <summary>What <see cref="DatabendSetup.EnsureAsync"/> needs to create the stage: the azblob connection, or null for an internal stage.</summary>
    public AzureStageConnection? StageConnectionForSetup() => UsesInternalStage ? null : StageConnection();

    /// <summary>What Databend's azblob stage needs, read from <see cref="StageConnectionString"/> (the endpoint from <see cref="LoaderOptions.StageEndpoint"/> when set).</summary>
    public AzureStageConnection StageConnection()
    {
        var parts = new DbConnectionStringBuilder();
        try
        {
            parts.ConnectionString = StageConnectionString;
        }
        catch (ArgumentException)
        {
            // The message would quote the string, which holds the account key.
            throw new FuncIngestConfigurationException(nameof(StageConnectionString), "is not a connection string (key=value pairs separated by ';').");
        }

        string? Get(string key) => parts.TryGetValue(key, out object? value) ? value?.ToString() : null;
        string account = Get("AccountName") ?? throw new FuncIngestConfigurationException(nameof(StageConnectionString), "has no AccountName.");
        string key = Get("AccountKey") ?? throw new FuncIngestConfigurationException(nameof(StageConnectionString), "has no AccountKey; Databend's azblob stage accepts only an account key.");
        string endpoint = Loader.StageEndpoint is { Length: > 0 } databendSees
            ? databendSees
            : Get("BlobEndpoint") ?? $"{Get("DefaultEndpointsProtocol") ?? "https"}://{account}.blob.{Get("EndpointSuffix") ?? "core.windows.net"}";
        return new AzureStageConnection(endpoint.TrimEnd('/'), account, key, StageContainer);
    }

    private void ApplySecurity(ClientConfig config)
    {
        config.SecurityProtocol = KafkaProtocol.ToUpperInvariant() switch
        {
            "PLAINTEXT" => SecurityProtocol.Plaintext,
            "SSL" => SecurityProtocol.Ssl,
            "SASLPLAINTEXT" or "SASL_PLAINTEXT" => SecurityProtocol.SaslPlaintext,
            "SASLSSL" or "SASL_SSL" => SecurityProtocol.SaslSsl,
            _ => throw new FuncIngestConfigurationException(nameof(KafkaProtocol), $"'{KafkaProtocol}' is not Plaintext, Ssl, SaslPlaintext or SaslSsl."),
        };
        if (config.SecurityProtocol is SecurityProtocol.SaslPlaintext or SecurityProtocol.SaslSsl)
        {
            config.SaslMechanism = KafkaAuthenticationMode.ToUpperInvariant() switch
            {
                "PLAIN" => SaslMechanism.Plain,
                "SCRAMSHA256" => SaslMechanism.ScramSha256,
                "SCRAMSHA512" => SaslMechanism.ScramSha512,
                _ => throw new FuncIngestConfigurationException(nameof(KafkaAuthenticationMode), $"'{KafkaAuthenticationMode}' is not Plain, ScramSha256 or ScramSha512."),
            };
            Require(nameof(KafkaUsername), KafkaUsername, "the SASL user name (Event Hubs: $ConnectionString)");
            Require(nameof(KafkaPassword), KafkaPassword, "the SASL password");
            config.SaslUsername = KafkaUsername;
            config.SaslPassword = KafkaPassword;
        }
    }

    private static void Require(string name, string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new FuncIngestConfigurationException(name, $"is required: {what}.");
        }
    }
}
