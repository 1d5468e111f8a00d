namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>A statement failed in the emulator; answered as Databend's <c>error {code, message, detail}</c>.</summary>
internal sealed class EmulatorException(int code, string message, string? detail = null) : Exception(message)
{
    public int Code { get; } = code;

    /// <summary>Databend's <c>ErrorCode</c> detail (e.g. <c>at file '...', line N</c> for a refused NDJSON row), or null.</summary>
    public string? Detail { get; } = detail;
}
