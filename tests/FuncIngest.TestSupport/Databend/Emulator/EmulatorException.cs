namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>A statement failed in the emulator; answered as Databend's <c>error {code, message}</c>.</summary>
internal sealed class EmulatorException(int code, string message, string? detail = null) : Exception(message)
{
    public int Code { get; } = code;

    /// <summary>The error's <c>detail</c> (for example <c>at file '...', line N</c>), or null.</summary>
    public string? Detail { get; } = detail;
}
