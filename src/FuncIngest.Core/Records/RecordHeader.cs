namespace FuncIngest.Records;

/// <summary>A Kafka record header. The value is bytes (not necessarily text) or null.</summary>
/// <param name="Key">The header name.</param>
/// <param name="Value">The header value, or null when the header has none.</param>
public readonly record struct RecordHeader(string Key, ReadOnlyMemory<byte>? Value);
