using System.Buffers.Binary;

namespace FuncIngest.Schemas;

/// <summary>
/// Confluent's wire format: magic byte 0, then the schema id as 4 bytes big-endian, then the
/// payload (confluent-kafka-dotnet src/Confluent.SchemaRegistry/Constants.cs <c>MagicByte = 0</c>;
/// the serializers write the id with <c>IPAddress.HostToNetworkOrder</c>).
/// </summary>
internal static class WireFormat
{
    public const int HeaderLength = 5;

    /// <summary>True when <paramref name="bytes"/> starts with the header; a JSON or text value never starts with byte 0.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> bytes, out int schemaId)
    {
        if (bytes.Length >= HeaderLength && bytes[0] == 0)
        {
            schemaId = BinaryPrimitives.ReadInt32BigEndian(bytes[1..HeaderLength]);
            return true;
        }

        schemaId = 0;
        return false;
    }
}
