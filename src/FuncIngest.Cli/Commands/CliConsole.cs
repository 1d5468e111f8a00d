using System.Runtime.CompilerServices;
using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary>A Spectre console over a command's output: colour on a terminal, plain and unwrapped when captured.</summary>
internal static class CliConsole
{
    private static readonly ConditionalWeakTable<TextWriter, IAnsiConsole> s_terminals = [];

    public static IAnsiConsole Create(TextWriter output)
    {
        if (s_terminals.TryGetValue(output, out IAnsiConsole? registered))
        {
            return registered;
        }

        bool terminal = IsTerminal(output);
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

    /// <summary>
    /// The console for a live view (a table refreshing in place, a progress bar) when the output is
    /// an interactive terminal; null when it is redirected or captured, where output stays plain lines.
    /// </summary>
    public static IAnsiConsole? Live(TextWriter output) => IsTerminal(output) || s_terminals.TryGetValue(output, out _) ? Create(output) : null;

    /// <summary>Tests: <paramref name="output"/> counts as a terminal shown through <paramref name="console"/>.</summary>
    internal static void RegisterTerminal(TextWriter output, IAnsiConsole console) => s_terminals.AddOrUpdate(output, console);

    private static bool IsTerminal(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
}
