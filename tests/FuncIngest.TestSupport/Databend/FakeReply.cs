namespace FuncIngest.TestSupport.Databend;

/// <summary>What the fake Databend server does with one request.</summary>
public sealed record FakeReply
{
    /// <summary>HTTP status.</summary>
    public int Status { get; init; } = 200;

    /// <summary>Body text (JSON for Databend-shaped replies).</summary>
    public string Body { get; init; } = string.Empty;

    /// <summary>Content type of the body.</summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>Wait this long before answering.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>A Location header (for redirects).</summary>
    public string? Location { get; init; }

    /// <summary>Drop the TCP connection instead of answering.</summary>
    public bool DropConnection { get; init; }

    /// <summary>A JSON reply.</summary>
    public static FakeReply Json(string body, int status = 200) => new() { Body = body, Status = status };

    /// <summary>A reply that drops the connection.</summary>
    public static FakeReply Drop() => new() { DropConnection = true };
}
