namespace FuncIngest.Schemas;

/// <summary>Avro bytes that do not decode with their schema; <see cref="TooDeep"/> when they nest past the depth limit.</summary>
internal sealed class AvroDecodeException(string message, bool tooDeep = false) : Exception(message)
{
    public bool TooDeep { get; } = tooDeep;
}
