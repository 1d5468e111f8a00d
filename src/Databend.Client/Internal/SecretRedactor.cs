namespace Databend.Client.Internal;

/// <summary>
/// Removes known secrets (the password, the access token, and values the caller registers, such
/// as a storage key inside CREATE STAGE) from text the client copies into exceptions and logs.
/// Databend echoes statement text in syntax errors, and exceptions travel far: CLI output,
/// Application Insights, durable task history.
/// </summary>
internal sealed class SecretRedactor
{
    public const string Mask = "***";

    // Shorter values would mask ordinary words of a message and protect nothing.
    private const int MinimumLength = 4;

    private readonly object _gate = new();
    private string[] _secrets = [];

    public void Add(string? secret)
    {
        if (secret is not { Length: >= MinimumLength })
        {
            return;
        }

        lock (_gate)
        {
            if (!_secrets.Contains(secret, StringComparer.Ordinal))
            {
                // Longest first, so a secret containing another is masked whole.
                _secrets = [.. _secrets.Append(secret).OrderByDescending(s => s.Length)];
            }
        }
    }

    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (string secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);
}
