namespace FuncIngest.Records;

/// <summary>
/// Kafka's rule for topic names (apache/kafka: clients/src/main/java/org/apache/kafka/common/internals/Topic.java,
/// <c>validate</c>): 1 to 249 characters of ASCII letters, digits, '.', '_' and '-', and not
/// "." or "..". A topic becomes a folder of the stage path, so a name outside the rule must
/// never reach one: it could climb out of its folder or collide with another partition's.
/// </summary>
public static class KafkaTopicName
{
    /// <summary>The longest topic name Kafka allows.</summary>
    public const int MaxLength = 249;

    /// <summary>True when <paramref name="topic"/> is a name Kafka itself would accept.</summary>
    public static bool IsValid(string? topic)
    {
        if (topic is not { Length: > 0 and <= MaxLength } || topic is "." or "..")
        {
            return false;
        }

        foreach (char c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws when <paramref name="topic"/> is not a valid Kafka topic name.</summary>
    /// <exception cref="ArgumentException">The name breaks Kafka's rule.</exception>
    public static void ThrowIfInvalid(string? topic, string paramName)
    {
        if (!IsValid(topic))
        {
            throw new ArgumentException(
                $"'{topic}' is not a Kafka topic name (1 to {MaxLength} of A-Z a-z 0-9 . _ -, not '.' or '..').", paramName);
        }
    }
}
