using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

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

    /// <summary>
    /// Held while a line is written; whoever redraws the live view must hold it too. Writing a line
    /// takes the console first and the live display's lock second (LiveDisplayRenderer.Process),
    /// a refresh takes them the other way round (LiveDisplayContext.Refresh), so two threads
    /// doing one each deadlocked (seen in a test); one gate around both orders them.
    /// </summary>
    public Lock Gate => _writing;

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

    private void Flush(string line) => console.Write(new LineAbove(line));

    /// <summary>
    /// One line of plain text (not markup: a topic or an error may hold '[' and ']'), each
    /// terminal row of it erased first: the live renderer moves the cursor back over the view
    /// without erasing (LiveRenderable.PositionCursor), so a line shorter than the view's row
    /// would keep the rest of that row on screen.
    /// </summary>
    private sealed class LineAbove(string text) : IRenderable
    {
        private const string EraseLine = "\u001b[2K";

        public Measurement Measure(RenderOptions options, int maxWidth) => new(Math.Min(text.Length, maxWidth), Math.Min(text.Length, maxWidth));

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            int width = Math.Max(1, maxWidth);
            int start = 0;
            do
            {
                if (options.Ansi)
                {
                    yield return Segment.Control(EraseLine);
                }

                string row = text.Substring(start, Math.Min(width, text.Length - start));
                yield return new Segment(row, Style.Plain);
                yield return Segment.LineBreak;
                start += row.Length;
            }
            while (start < text.Length);
        }
    }
}
