using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace FuncIngest.Infra.Tests;

/// <summary>
/// Evaluates the ARM template expressions the compiled Bicep uses, so a test can read what a
/// deployment would set: parameters (with defaults and their constraints checked as ARM checks
/// them), variables, nested module deployments and their outputs. What only Azure knows (an
/// identity's client id, a secret's URI, a storage key) comes from <see cref="Stub"/>; any function
/// or resource type not handled here fails the test instead of being guessed.
/// </summary>
internal sealed class ArmEvaluator
{
    /// <summary>The client id the stubbed user-assigned identity gets.</summary>
    public const string IdentityClientId = "7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10";

    private readonly JsonObject _template;
    private readonly Dictionary<string, JsonNode?> _parameters = new(StringComparer.OrdinalIgnoreCase);

    public ArmEvaluator(JsonObject template, IReadOnlyDictionary<string, JsonNode?> supplied)
    {
        _template = template;
        JsonObject definitions = template["parameters"]?.AsObject() ?? [];
        foreach (string name in supplied.Keys.Where(k => !definitions.ContainsKey(k)))
        {
            throw new InvalidOperationException($"The template has no parameter '{name}'.");
        }

        foreach ((string name, JsonNode? definition) in definitions)
        {
            JsonNode? value = supplied.TryGetValue(name, out JsonNode? given)
                ? Coerce(given, (string)definition!["type"]!)
                : definition!["defaultValue"] is { } fallback ? Evaluate(fallback) : throw new ArmValidationException($"Parameter '{name}' is required and has no value.");
            Check(name, definition!.AsObject(), value);
            _parameters[name] = value;
        }
    }

    /// <summary>Evaluates a template value: every "[...]" string in it is an expression.</summary>
    public JsonNode? Evaluate(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out string? text) => text.StartsWith('[') && text.EndsWith(']') && !text.StartsWith("[[", StringComparison.Ordinal)
            ? new Parser(this, text[1..^1]).ParseAll()
            : JsonValue.Create(text.StartsWith("[[", StringComparison.Ordinal) ? text[1..] : text),
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Evaluate(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Evaluate)]),
        _ => node?.DeepClone(),
    };

    /// <summary>The module deployment of that name in this template, as an evaluator with the parameters this template passes it.</summary>
    public ArmEvaluator Module(string name)
    {
        JsonObject deployment = Resources().Single(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)Evaluate(r["name"]) == name);
        var supplied = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string parameter, JsonNode? value) in deployment["properties"]!["parameters"]?.AsObject() ?? [])
        {
            // A parameter entry is {"value": ...}, or an expression that yields one (a conditional module input).
            supplied[parameter] = (value is JsonObject entry ? Evaluate(entry["value"]) : Evaluate(value)!["value"])?.DeepClone();
        }

        return new ArmEvaluator(deployment["properties"]!["template"]!.AsObject(), supplied);
    }

    /// <summary>A parameter's value as this deployment has it (supplied, or the default).</summary>
    public JsonNode? Parameter(string name) => _parameters[name]?.DeepClone();

    /// <summary>The template's resources (ARM JSON without symbolic names: an array).</summary>
    public IEnumerable<JsonObject> Resources() => _template["resources"]!.AsArray().Select(r => r!.AsObject());

    /// <summary>Whether a resource is deployed: its condition, if it has one, evaluated.</summary>
    public bool IsDeployed(JsonObject resource) => resource["condition"] is not { } condition || Evaluate(condition)!.GetValue<bool>();

    private JsonNode? Output(string name) =>
        Evaluate(_template["outputs"]?[name]?["value"] ?? throw new InvalidOperationException($"The template has no output '{name}'."));

    private JsonNode? Call(string function, List<JsonNode?> args)
    {
        string S(int i) => args[i]!.GetValue<string>();
        switch (function.ToLowerInvariant())
        {
            case "parameters":
                return _parameters.TryGetValue(S(0), out JsonNode? p) ? p?.DeepClone() : throw new InvalidOperationException($"No parameter '{S(0)}'.");
            case "variables":
                return Evaluate(_template["variables"]?[S(0)] ?? throw new InvalidOperationException($"No variable '{S(0)}'."));
            case "format":
                return string.Format(CultureInfo.InvariantCulture, S(0), [.. args.Skip(1).Select(Text)]);
            case "concat":
                return string.Concat(args.Select(Text));
            case "if":
                return args[0]!.GetValue<bool>() ? args[1] : args[2];
            case "empty":
                return args[0] switch { null => true, JsonObject o => o.Count == 0, JsonArray a => a.Count == 0, var v => Text(v).Length == 0 };
            case "not":
                return !args[0]!.GetValue<bool>();
            case "equals":
                return JsonNode.DeepEquals(args[0], args[1]);
            case "and":
                return args.All(a => a!.GetValue<bool>());
            case "or":
                return args.Any(a => a!.GetValue<bool>());
            case "true":
                return true;
            case "false":
                return false;
            case "null":
                return null;
            case "tolower":
                return S(0).ToLowerInvariant();
            case "take":
                return S(0)[..(int)Math.Min(S(0).Length, args[1]!.GetValue<long>())];
            case "contains":
                return args[0] is JsonObject obj ? obj.ContainsKey(S(1)) : Text(args[0]).Contains(Text(args[1]), StringComparison.OrdinalIgnoreCase);
            case "createobject":
                var created = new JsonObject();
                for (int i = 0; i + 1 < args.Count; i += 2)
                {
                    created[S(i)] = args[i + 1]?.DeepClone();
                }

                return created;
            case "union":
                var union = new JsonObject();
                foreach (JsonObject o in args.Cast<JsonObject>())
                {
                    foreach ((string key, JsonNode? value) in o)
                    {
                        union[key] = value?.DeepClone();
                    }
                }

                return union;
            case "uniquestring":
                return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', args.Select(Text)))))[..13];
            case "subscription":
                return new JsonObject { ["id"] = "/subscriptions/00000000-0000-0000-0000-000000000000", ["subscriptionId"] = "00000000-0000-0000-0000-000000000000", ["tenantId"] = "11111111-1111-1111-1111-111111111111" };
            case "resourcegroup":
                return new JsonObject { ["id"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg", ["name"] = "rg", ["location"] = "westeurope" };
            case "environment":
                return new JsonObject { ["name"] = "AzureCloud", ["suffixes"] = new JsonObject { ["storage"] = "core.windows.net" } };
            case "deployment":
                return new JsonObject { ["name"] = "main" };
            case "resourceid":
            case "subscriptionresourceid":
                return ResourceId([.. args.Select(Text).SkipWhile(a => !a.Contains('/', StringComparison.Ordinal))]);
            case "extensionresourceid":
                return ResourceId([.. args.Skip(1).Select(Text)]);
            case "reference":
                return Reference(S(0));
            case "listkeys":
                return Stub.ListKeys(S(0));
            default:
                throw new NotSupportedException($"ARM function '{function}' is not evaluated by this test; add it to {nameof(ArmEvaluator)}.");
        }
    }

    /// <summary>A resource id as "type|name/name", which <see cref="Reference"/> takes apart again.</summary>
    private static string ResourceId(List<string> typeAndNames) => $"{typeAndNames[0]}|{string.Join('/', typeAndNames.Skip(1))}";

    private JsonObject Reference(string id)
    {
        string[] parts = id.Split('|');
        if (parts.Length != 2)
        {
            throw new NotSupportedException($"reference('{id}') by symbolic name or full id is not evaluated by this test.");
        }

        if (parts[0] == "Microsoft.Resources/deployments")
        {
            ArmEvaluator module = Module(parts[1]);
            JsonObject outputs = [];
            foreach ((string name, _) in module._template["outputs"]?.AsObject() ?? [])
            {
                outputs[name] = new JsonObject { ["value"] = module.Output(name) };
            }

            return new JsonObject { ["outputs"] = outputs };
        }

        return Stub.Reference(parts[0], parts[1]);
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out bool b) => b ? "True" : "False",
        _ => node.ToJsonString(),
    };

    private static JsonNode? Coerce(JsonNode? value, string type) => (type.ToLowerInvariant(), value) switch
    {
        ("int", JsonValue v) when v.TryGetValue(out string? s) => long.Parse(s, CultureInfo.InvariantCulture),
        ("bool", JsonValue v) when v.TryGetValue(out string? s) => bool.Parse(s),
        _ => value?.DeepClone(),
    };

    /// <summary>The parameter constraints ARM checks before it deploys anything.</summary>
    private static void Check(string name, JsonObject definition, JsonNode? value)
    {
        if (definition["allowedValues"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            throw new ArmValidationException($"Parameter '{name}': '{value}' is not one of {allowed.ToJsonString()}.");
        }

        if (definition["minLength"] is { } minLength && Text(value).Length < minLength.GetValue<int>())
        {
            throw new ArmValidationException($"Parameter '{name}' is shorter than its minimum length {minLength}.");
        }

        if (definition["maxLength"] is { } maxLength && Text(value).Length > maxLength.GetValue<int>())
        {
            throw new ArmValidationException($"Parameter '{name}' is longer than its maximum length {maxLength}.");
        }

        if (definition["minValue"] is { } minValue && value!.GetValue<long>() < minValue.GetValue<long>())
        {
            throw new ArmValidationException($"Parameter '{name}' is below its minimum {minValue}.");
        }

        if (definition["maxValue"] is { } maxValue && value!.GetValue<long>() > maxValue.GetValue<long>())
        {
            throw new ArmValidationException($"Parameter '{name}' is above its maximum {maxValue}.");
        }
    }

    /// <summary>What Azure would answer for resources the deployment creates.</summary>
    private static class Stub
    {
        public static JsonObject Reference(string type, string name) => type switch
        {
            "Microsoft.ManagedIdentity/userAssignedIdentities" => new JsonObject { ["clientId"] = IdentityClientId, ["principalId"] = "22222222-2222-2222-2222-222222222222" },
            "Microsoft.Insights/components" => new JsonObject { ["ConnectionString"] = "InstrumentationKey=33333333-3333-3333-3333-333333333333;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/" },
            "Microsoft.KeyVault/vaults/secrets" => new JsonObject { ["secretUri"] = $"https://{name.Split('/')[0]}.vault.azure.net/secrets/{name.Split('/')[1]}" },
            "Microsoft.Storage/storageAccounts" => new JsonObject { ["primaryEndpoints"] = new JsonObject { ["blob"] = $"https://{name}.blob.core.windows.net/" } },
            "Microsoft.Web/sites" => new JsonObject { ["defaultHostName"] = $"{name}.azurewebsites.net" },
            "Microsoft.Network/virtualNetworks/subnets" => new JsonObject { ["id"] = name },
            _ => throw new NotSupportedException($"reference() of a {type} is not stubbed by this test."),
        };

        public static JsonObject ListKeys(string id) => id.StartsWith("Microsoft.Storage/storageAccounts|", StringComparison.Ordinal)
            ? new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["value"] = "c3RhZ2luZy1rZXk=" }) }
            : throw new NotSupportedException($"listKeys('{id}') is not stubbed by this test.");
    }

    /// <summary>Recursive descent over ARM's expression grammar: calls, 'strings', numbers, .property and [index].</summary>
    private sealed class Parser(ArmEvaluator evaluator, string text)
    {
        private int _at;

        // Inside the branch of if() that is not taken: parsed, not evaluated (ARM evaluates only the taken one).
        private int _skipping;

        public JsonNode? ParseAll()
        {
            JsonNode? value = ParseExpression();
            SkipSpace();
            return _at == text.Length ? value : throw new FormatException($"Unexpected '{text[_at..]}' in '{text}'.");
        }

        private JsonNode? ParseExpression()
        {
            SkipSpace();
            JsonNode? value;
            if (text[_at] == '\'')
            {
                var literal = new StringBuilder();
                _at++;
                while (true)
                {
                    if (text[_at] == '\'' && _at + 1 < text.Length && text[_at + 1] == '\'')
                    {
                        literal.Append('\'');
                        _at += 2;
                    }
                    else if (text[_at] == '\'')
                    {
                        _at++;
                        break;
                    }
                    else
                    {
                        literal.Append(text[_at++]);
                    }
                }

                value = literal.ToString();
            }
            else if (char.IsAsciiDigit(text[_at]) || text[_at] == '-')
            {
                int start = _at++;
                while (char.IsAsciiDigit(text[_at]))
                {
                    _at++;
                }

                value = long.Parse(text[start.._at], CultureInfo.InvariantCulture);
            }
            else
            {
                string name = Identifier();
                Expect('(');
                var args = new List<JsonNode?>();
                bool lazyIf = string.Equals(name, "if", StringComparison.OrdinalIgnoreCase) && _skipping == 0;
                SkipSpace();
                while (text[_at] != ')')
                {
                    bool skip = lazyIf && args.Count > 0 && args[0]!.GetValue<bool>() != (args.Count == 1);
                    _skipping += skip ? 1 : 0;
                    args.Add(ParseExpression());
                    _skipping -= skip ? 1 : 0;
                    SkipSpace();
                    if (text[_at] == ',')
                    {
                        _at++;
                    }
                }

                _at++;
                value = _skipping > 0 ? null : evaluator.Call(name, args);
            }

            while (_at < text.Length && (text[_at] == '.' || text[_at] == '['))
            {
                if (text[_at++] == '.')
                {
                    string property = Identifier();
                    value = _skipping > 0 ? null : value is JsonObject o
                        ? o.FirstOrDefault(p => string.Equals(p.Key, property, StringComparison.OrdinalIgnoreCase)).Value?.DeepClone()
                            ?? throw new InvalidOperationException($"No property '{property}' in {value.ToJsonString()} ('{text}').")
                        : throw new InvalidOperationException($"'.{property}' of a non-object in '{text}'.");
                }
                else
                {
                    JsonNode? index = ParseExpression();
                    Expect(']');
                    value = _skipping > 0 ? null : value is JsonArray a ? a[(int)index!.GetValue<long>()]?.DeepClone() : value![index!.GetValue<string>()]?.DeepClone();
                }
            }

            return value;
        }

        private string Identifier()
        {
            SkipSpace();
            int start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_'))
            {
                _at++;
            }

            return _at > start ? text[start.._at] : throw new FormatException($"Expected a name at {start} in '{text}'.");
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (text[_at++] != c)
            {
                throw new FormatException($"Expected '{c}' at {_at - 1} in '{text}'.");
            }
        }

        private void SkipSpace()
        {
            while (_at < text.Length && text[_at] == ' ')
            {
                _at++;
            }
        }
    }
}
