using System.Text.RegularExpressions;
using FuncIngest.Cli.Commands;
using Spectre.Console;

namespace FuncIngest.Cli.Tests;

/// <summary>An interactive ANSI terminal over a string: what a user's terminal would receive.</summary>
internal sealed partial class TerminalCapture
{
    public TerminalCapture()
    {
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Writer),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        Console.Profile.Width = 160;
        // The command sees Writer as its output and CliConsole treats it as a terminal.
        CliConsole.RegisterTerminal(Writer, Console);
    }

    public StringWriter Writer { get; } = new();

    public IAnsiConsole Console { get; }

    public string Raw => Writer.ToString();

    /// <summary>
    /// The text, a line per terminal row written: escape sequences (cursor moves, erases) and
    /// carriage returns start a new line, since what follows them is written from a row's start.
    /// </summary>
    public string Text => Escapes().Replace(Raw.Replace('\r', '\n'), "\n");

    /// <summary>The cells of the table rows that start with <paramref name="first"/>, in the order drawn.</summary>
    public List<string[]> Rows(string first) =>
    [
        .. Text.Split('\n')
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries))
            .Where(c => c.Length > 2 && c[1] == first)
            .Select(c => c[1..^1]),
    ];

    [GeneratedRegex("\u001b\\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Escapes();
}
