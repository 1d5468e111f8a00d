namespace FuncIngest.Schemas;

/// <summary>
/// The Schema Registry could not be asked (unreachable, timed out, 5xx, or it refused the
/// credentials). Transient: the batch fails, nothing of it is acknowledged or dead-lettered,
/// and the host retries it.
/// </summary>
public sealed class SchemaRegistryUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchemaRegistryUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SchemaRegistryUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SchemaRegistryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
