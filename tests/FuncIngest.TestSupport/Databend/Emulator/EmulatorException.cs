namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>A statement failed in the emulator; answered as Databend's <c>error {code, message}</c>.</summary>
internal sealed class EmulatorException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
