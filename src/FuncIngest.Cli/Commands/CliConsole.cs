using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary>A Spectre console over a command's output: colour on a terminal, plain and unwrapped when captured.</summary>
internal static class CliConsole
{
    public static IAnsiConsole Create(TextWriter output)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal)
        {
            // Piped or captured output has no width: Spectre would assume 80 columns and wrap.
            console.Profile.Width = 1000;
        }

        return console;
    }
}
