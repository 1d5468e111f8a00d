using System.Text;

namespace FuncIngest.Core.Tests.Ndjson;

/// <summary>Random byte edits of JSON text, for the differential tests of <see cref="FuncIngest.Ndjson.JsonSyntax"/>.</summary>
internal static class JsonMutations
{
    /// <summary>
    /// <paramref name="seed"/> with 1 to <paramref name="maxEdits"/> random edits (delete, insert or
    /// replace a byte drawn from <paramref name="alphabet"/>), or null when the result is not UTF-8.
    /// </summary>
    public static byte[]? Mutate(Random random, string seed, int maxEdits, byte[] alphabet)
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(seed));
        int edits = random.Next(1, maxEdits + 1);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, alphabet[random.Next(alphabet.Length)]);
                    break;
                default:
                    bytes[at] = alphabet[random.Next(alphabet.Length)];
                    break;
            }
        }

        byte[] candidate = [.. bytes];
        return System.Text.Unicode.Utf8.IsValid(candidate) ? candidate : null;
    }
}
