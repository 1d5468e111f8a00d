using System.Text;
using FuncIngest.Ndjson;
using FuncIngest.TestSupport.Databend.Emulator;

namespace FuncIngest.Core.Tests.Ndjson;

/// <summary>
/// JsonSyntax must say exactly when Databend's NDJSON reader refuses or changes a value. These
/// tests hold it to <see cref="NdjsonLineParser"/>, a plain model of that reader written from
/// Databend's source (recursive descent, BigInteger, a full parse of every float), on hand-picked
/// cases with their verdicts written out, on generated values rich in lone surrogates, numbers at
/// the edges of f64 and 128-bit integers, duplicate and serde-private keys, on random mutations
/// of those, and on nesting around the limit.
/// </summary>
public sealed class JsonSyntaxDatabendTests
{
    private static readonly string[] s_strings =
    [
        "\"plain\"", "\"é 😀\"", "\"a\\nb\\\"\"", "\"\\ud83d\\ude00\"", "\"\\u00e9\"", "\"$serde_json::private::Number\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"x\\ud83d\\u0041\"", "\"\\ud800\\ud800\\udc00\"", "\"\\udbff\\udfff\"", "\"\\ud83d\\n\"",
    ];

    private static readonly string[] s_numbers =
    [
        "0", "-0", "7", "-42", "12.25", "1e5", "-2.5E-3", "0e-999", "1E+99", "1e-99", "5e-324", "3e-324", "1.7976931348623157e308",
        "9223372036854775807", "18446744073709551616", "123456789012345678901234567890",
        "340282366920938463463374607431768211455", "-170141183460469231731687303715884105728",
        "1e400", "-1e400", "1e-400", "2e-324", "1.7976931348623159e308", "1e99999999999999999999",
        "340282366920938463463374607431768211456", "-170141183460469231731687303715884105729", "1" + new string('0', 310),
        "0." + new string('0', 330) + "1", "1" + new string('0', 310) + ".5", "0." + new string('0', 250) + "1e-50",
    ];

    // Counts of the well-behaved entries at the start of each pool: generated values mostly use these.
    private const int TameStrings = 6;
    private const int TameNumbers = 18;

    private static readonly string[] s_keys = ["a", "b", "id", "k", "\\u0061", "$serde_json::private::Number", "$serde_json::private::RawValue", "\\u0024serde_json::private::Number"];

    public static TheoryData<string, string> HandPicked() => new()
    {
        { "\"\\ud800\"", "LoneSurrogate" },
        { "\"\\udc00\"", "LoneSurrogate" },
        { "\"x\\udc00y\"", "LoneSurrogate" },
        { "\"\\ud800\\u0041\"", "LoneSurrogate" },
        { "\"\\ud800\\n\"", "LoneSurrogate" },
        { "{\"\\ud800\":1}", "LoneSurrogate" },
        { "\"\\ud83d\\ude00\"", "Valid" },
        { "\"\\ud800\\u12g4\"", "Invalid" },
        { "1e400", "NumberOutOfRange" },
        { "-1e400", "NumberOutOfRange" },
        { "1e-400", "NumberOutOfRange" },
        { "2e-324", "NumberOutOfRange" },
        { "3e-324", "Valid" },
        { "0e-400", "Valid" },
        { "1.7976931348623157e308", "Valid" },
        { "1.7976931348623159e308", "NumberOutOfRange" },
        { "0." + new string('0', 330) + "1", "NumberOutOfRange" },
        { "123456789012345678901234567890", "Valid" },
        { "340282366920938463463374607431768211455", "Valid" },
        { "340282366920938463463374607431768211456", "WideInteger" },
        { "-170141183460469231731687303715884105728", "Valid" },
        { "-170141183460469231731687303715884105729", "WideInteger" },
        { "1" + new string('0', 400), "WideInteger" },
        { "{\"a\":1,\"a\":2}", "DuplicateKey" },
        { "{\"a\":1,\"\\u0061\":2}", "DuplicateKey" },
        { "{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":1}]}", "Valid" },
        { "{\"ab\":1,\"a\\u0062\":2}", "DuplicateKey" },
        { "{\"abcd\":1,\"abxd\":2,\"abcd \":3}", "Valid" },
        { "{\"$serde_json::private::Number\":\"1\"}", "ReservedKey" },
        { "{\"$serde_json::private::Number\":1}", "ReservedKey" },
        { "{\"\\u0024serde_json::private::RawValue\":\"[1]\"}", "ReservedKey" },
        { "{\"b\":1,\"$serde_json::private::Number\":\"1\"}", "Valid" },
        { "[1e400,\"\\ud800\",{\"a\":1,\"a\":1}]", "LoneSurrogate" },
        { "[1e400,{\"a\":1,\"a\":1}]", "NumberOutOfRange" },
        { "[1e400,\"\\ud800\"", "Invalid" },
        { "{\"a\":1,\"a\":2", "Invalid" },
    };

    [Theory]
    [MemberData(nameof(HandPicked))]
    public void Hand_picked_values_get_the_written_verdict_and_the_models(string json, string verdict)
    {
        var expected = Enum.Parse<JsonSyntax.Verdict>(verdict);
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(expected, JsonSyntax.Check(bytes, 64, out _));
        Assert.Equal(expected, ModelVerdict(bytes, 64));
    }

    [Fact]
    public void Objects_with_many_keys_find_a_duplicate_anywhere()
    {
        for (int count = 2; count <= 300; count += count < 40 ? 1 : 37)
        {
            string[] keys = [.. Enumerable.Range(0, count).Select(k => $"field_{k:D3}")];
            string unique = "{" + string.Join(",", keys.Select(k => $"\"{k}\":1")) + "}";
            Assert.Equal(JsonSyntax.Verdict.Valid, JsonSyntax.Check(Encoding.UTF8.GetBytes(unique), 64, out _));

            for (int dup = 0; dup < count; dup += Math.Max(1, count / 7))
            {
                // The duplicate written with an escape, at the end: only its decoded form matches.
                string escaped = "\\u0066" + keys[dup][1..];
                string duplicated = unique[..^1] + $",\"{escaped}\":2}}";
                Assert.Equal(JsonSyntax.Verdict.DuplicateKey, JsonSyntax.Check(Encoding.UTF8.GetBytes(duplicated), 64, out _));
            }
        }
    }

    [Fact]
    public void Generated_values_get_the_models_verdict()
    {
        var random = new Random(20261129);
        var seen = new HashSet<JsonSyntax.Verdict>();
        for (int n = 0; n < 20_000; n++)
        {
            byte[] json = Encoding.UTF8.GetBytes(RandomValue(random, 0));
            seen.Add(AssertSameVerdict(json, 64));
        }

        // Every verdict except the grammar's must come up, or the comparison proves little.
        Assert.Superset(
            new HashSet<JsonSyntax.Verdict>
            {
                JsonSyntax.Verdict.Valid, JsonSyntax.Verdict.LoneSurrogate, JsonSyntax.Verdict.NumberOutOfRange,
                JsonSyntax.Verdict.WideInteger, JsonSyntax.Verdict.ReservedKey, JsonSyntax.Verdict.DuplicateKey,
            },
            seen);
    }

    [Fact]
    public void Random_mutations_of_generated_values_get_the_models_verdict()
    {
        var random = new Random(15);
        byte[] alphabet = "{}[]\",:\\ 0123456789-+.eEud8cf"u8.ToArray();
        var seen = new HashSet<JsonSyntax.Verdict>();
        for (int n = 0; n < 20_000; n++)
        {
            if (JsonMutations.Mutate(random, RandomValue(random, 0), 2, alphabet) is { } candidate)
            {
                seen.Add(AssertSameVerdict(candidate, 8));
            }
        }

        Assert.Contains(JsonSyntax.Verdict.Invalid, seen);
        Assert.Contains(JsonSyntax.Verdict.Valid, seen);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(126)]
    [InlineData(127)]
    public void Nesting_around_the_limit_gets_the_models_verdict(int maxDepth)
    {
        foreach (int depth in new[] { maxDepth - 1, maxDepth, maxDepth + 1 })
        {
            if (depth < 1)
            {
                continue;
            }

            foreach (string json in new[]
            {
                new string('[', depth) + new string(']', depth),
                string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth),
                string.Concat(Enumerable.Repeat("{\"a\":1,\"a\":", depth)) + "1e400" + new string('}', depth),
                new string('[', depth) + "\"\\ud800\"" + new string(']', depth) + "]",
            })
            {
                AssertSameVerdict(Encoding.UTF8.GetBytes(json), maxDepth);
            }
        }
    }

    /// <summary>
    /// A random JSON text, grammatical, that mostly uses well-behaved pieces and now and then one
    /// Databend refuses or changes. Also used by <see cref="DatabendValueRulesTests"/>.
    /// </summary>
    internal static string RandomValue(Random random, int depth)
    {
        int kind = depth >= 4 ? random.Next(2, 5) : random.Next(5);
        switch (kind)
        {
            case 0:
                bool large = random.Next(12) == 0;
                int members = large ? random.Next(17, 60) : random.Next(0, 5);
                var parts = new List<string>();
                for (int m = 0; m < members; m++)
                {
                    string key = large
                        ? (random.Next(40) == 0 ? "k" : $"f{m}")
                        : random.Next(4) == 0 ? s_keys[random.Next(s_keys.Length)] : $"f{m}";
                    parts.Add($"\"{key}\":{RandomValue(random, depth + 1)}");
                }

                return "{" + string.Join(",", parts) + "}";
            case 1:
                return "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomValue(random, depth + 1))) + "]";
            case 2:
                return s_strings[random.Next(8) == 0 ? random.Next(s_strings.Length) : random.Next(TameStrings)];
            case 3:
                return s_numbers[random.Next(8) == 0 ? random.Next(s_numbers.Length) : random.Next(TameNumbers)];
            default:
                return random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" };
        }
    }

    private static JsonSyntax.Verdict AssertSameVerdict(byte[] json, int maxDepth)
    {
        JsonSyntax.Verdict expected = ModelVerdict(json, maxDepth);
        JsonSyntax.Verdict actual = JsonSyntax.Check(json, maxDepth, out _);
        Assert.True(expected == actual, $"the model says {expected}, JsonSyntax says {actual}: {Encoding.UTF8.GetString(json)}");
        return actual;
    }

    /// <summary>The model's answer as a verdict, with JsonSyntax's order among several findings.</summary>
    private static JsonSyntax.Verdict ModelVerdict(byte[] json, int maxDepth)
    {
        NdjsonLine line = NdjsonLineParser.Parse(json, maxDepth);
        return line.SyntaxError ? JsonSyntax.Verdict.Invalid
            : line.TooDeep ? JsonSyntax.Verdict.TooDeep
            : line.Findings.Contains("lone_surrogate") ? JsonSyntax.Verdict.LoneSurrogate
            : line.Findings.Contains("number_out_of_range") ? JsonSyntax.Verdict.NumberOutOfRange
            : line.Findings.Contains("wide_integer") ? JsonSyntax.Verdict.WideInteger
            : line.Findings.Contains("reserved_key") ? JsonSyntax.Verdict.ReservedKey
            : line.Findings.Contains("duplicate_key") ? JsonSyntax.Verdict.DuplicateKey
            : JsonSyntax.Verdict.Valid;
    }
}
