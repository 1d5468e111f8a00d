using System.Text;
using System.Text.Json;
using FuncIngest.Ndjson;

namespace FuncIngest.Core.Tests.Ndjson;

/// <summary>
/// JsonSyntax replaces Utf8JsonReader on the hot path, so its grammar must give the reader's
/// answer: these tests run both on hand-picked edge cases and on many random mutations of JSON.
/// (Valid JSON that Databend refuses or changes gets its own verdict, held to a model of
/// Databend's reader by <see cref="JsonSyntaxDatabendTests"/>; here it counts as grammatical.)
/// </summary>
public sealed class JsonSyntaxTests
{
    private static readonly string[] s_seeds =
    [
        """{"id":7,"type":"order.created","amount":12.25,"paid":true,"tags":["a","b"],"note":"x\ty\u00e9\"\\\/"}""",
        """[1,-0,0.5,-1.5e10,2E-3,3e+2,true,false,null,"",{},[],{"a":{"b":[{}]}}]""",
        "{ \"a\" : [ 1 , 2 ] ,\r\n\t\"b\" : { } }",
        "\"just a string\"",
        "-12.5e-7",
        "  null  ",
        """{"emoji":"😀","zh":"中文","esc":"\ud83d\ude00"}""",
    ];

    public static TheoryData<string> EdgeCases() =>
    [
        "", " ", "{", "}", "[", "]", "{}", "[]", "[}", "{]", "{,}", "[,]", "[1,]", "{\"a\":1,}", "{\"a\"}", "{\"a\":}", "{a:1}",
        "{'a':1}", "[1 2]", "[1,,2]", "01", "-", "-0", "-01", "1.", ".5", "1e", "1e+", "1E5", "+1", "0x10", "NaN", "Infinity",
        "tru", "true", "truex", "nul", "null", "nulll", "falsey", "\"", "\"abc", "\"a\\\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\x\"",
        "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"tab\there\"", "\"nl\nhere\"", "\"\u007f\"", "{} {}", "1 2", "[] x", "{}\n",
        "\ufeff{}", "/* c */ {}", "{} // c", "[1]]", "[[1]", "{\"a\":1}}", "\"\\/\"", "[-]", "[1.5e]", "{\"a\" 1}", "{\"a\"::1}",
        "{\"a\":1 \"b\":2}", "[\"a\" \"b\"]", "\t\r\n 5 \t\r\n",
    ];

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Edge_cases_get_the_readers_verdict(string json) =>
        AssertSameVerdict(Encoding.UTF8.GetBytes(json), maxDepth: 64);

    [Fact]
    public void Random_mutations_of_json_get_the_readers_verdict()
    {
        var random = new Random(20261124);
        byte[] alphabet = "{}[]\",:\\ \n0123456789-+.eEtrufalsnx\tu/"u8.ToArray();
        int valid = 0;
        for (int n = 0; n < 40_000; n++)
        {
            if (JsonMutations.Mutate(random, s_seeds[random.Next(s_seeds.Length)], 3, alphabet) is { } candidate)
            {
                valid += AssertSameVerdict(candidate, maxDepth: 64) ? 1 : 0;
            }
        }

        // The mutations must exercise both answers, or the comparison proves little.
        Assert.InRange(valid, 2_000, 38_000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public void Nesting_is_limited_like_the_readers_max_depth(int maxDepth)
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
                string.Concat(Enumerable.Repeat("[{\"a\":", depth / 2)) + (depth % 2 == 1 ? "[]" : "0") + string.Concat(Enumerable.Repeat("}]", depth / 2)),
            })
            {
                byte[] bytes = Encoding.UTF8.GetBytes(json);
                bool readerValid = ReaderAccepts(bytes, maxDepth);
                JsonSyntax.Verdict verdict = JsonSyntax.Check(bytes, maxDepth, out _);
                Assert.Equal(readerValid ? JsonSyntax.Verdict.Valid : JsonSyntax.Verdict.TooDeep, verdict);
            }
        }
    }

    [Theory]
    [InlineData("{\"a\":1}", JsonTokenType.StartObject)]
    [InlineData(" [1]", JsonTokenType.StartArray)]
    [InlineData("\"s\"", JsonTokenType.String)]
    [InlineData("-1", JsonTokenType.Number)]
    [InlineData("true", JsonTokenType.True)]
    [InlineData("false", JsonTokenType.False)]
    [InlineData("null", JsonTokenType.Null)]
    public void The_first_token_type_is_reported(string json, JsonTokenType expected)
    {
        Assert.Equal(JsonSyntax.Verdict.Valid, JsonSyntax.Check(Encoding.UTF8.GetBytes(json), 64, out JsonTokenType first));
        Assert.Equal(expected, first);
    }

    private static bool AssertSameVerdict(byte[] json, int maxDepth)
    {
        bool expected = ReaderAccepts(json, maxDepth);
        JsonSyntax.Verdict verdict = JsonSyntax.Check(json, maxDepth, out _);
        bool grammatical = verdict is not (JsonSyntax.Verdict.Invalid or JsonSyntax.Verdict.TooDeep);
        Assert.True(expected == grammatical, $"Utf8JsonReader says {(expected ? "valid" : "invalid")}, JsonSyntax says {verdict}: {Encoding.UTF8.GetString(json)}");
        return expected;
    }

    private static bool ReaderAccepts(byte[] json, int maxDepth)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        try
        {
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0 && reader.TokenType != JsonTokenType.None;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
