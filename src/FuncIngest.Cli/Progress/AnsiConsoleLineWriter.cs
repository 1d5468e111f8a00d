using System.Text;
using Spectre.Console;

namespace FuncIngest.Cli.Progress;

/// <summary>
/// A <see cref="TextWriter"/> whose lines go through a Spectre console, so that while a live view
/// is shown they print above it: Spectre's live renderer moves the cursor back over the view,
/// writes what it was given and draws the view again below (LiveDisplayRenderer.Process).
/// </summary>
internal sealed class AnsiConsoleLineWriter(IAnsiConsole console) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly Lock _writing = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_writing)
        {
            if (value == '\n')
            {
                Flush(_line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        foreach (char c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_writing)
        {
            // The daemon writes whole lines from the consume loop and the loader at once: one lock, one line each.
            _line.Append(value);
            Flush(_line.ToString());
            _line.Clear();
        }
    }

    // Text, not markup: a topic or an error message may hold '[' and ']'.
    private void Flush(string line) => console.WriteLine(line, Style.Plain);
}
