using System.Globalization;
using System.Text;

namespace FuncIngest.Staging;

/// <summary>
/// A set of offsets kept as sorted, disjoint, inclusive ranges, with the text form
/// <c>0-4,6,8-9</c> used in stage metadata.
/// </summary>
public sealed class OffsetRanges
{
    private readonly List<(long First, long Last)> _ranges = [];

    /// <summary>The ranges, sorted and disjoint.</summary>
    public IReadOnlyList<(long First, long Last)> Ranges => _ranges;

    /// <summary>How many offsets the set holds.</summary>
    public long Count => _ranges.Sum(r => r.Last - r.First + 1);

    /// <summary>Adds an inclusive range, merging with what it touches.</summary>
    public void Add(long first, long last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        int index = _ranges.BinarySearch((first, first), RangeComparer.Instance);
        index = index < 0 ? ~index : index;
        if (index > 0 && _ranges[index - 1].Last >= first - 1)
        {
            index--;
        }

        long newFirst = first, newLast = last;
        int remove = 0;
        while (index + remove < _ranges.Count && _ranges[index + remove].First <= last + 1)
        {
            newFirst = Math.Min(newFirst, _ranges[index + remove].First);
            newLast = Math.Max(newLast, _ranges[index + remove].Last);
            remove++;
        }

        _ranges.RemoveRange(index, remove);
        _ranges.Insert(index, (newFirst, newLast));
    }

    /// <summary>Adds one offset.</summary>
    public void Add(long offset) => Add(offset, offset);

    /// <summary>True when the set holds <paramref name="offset"/>.</summary>
    public bool Contains(long offset)
    {
        int index = _ranges.BinarySearch((offset, offset), RangeComparer.Instance);
        if (index >= 0)
        {
            return true;
        }

        index = ~index;
        return index > 0 && _ranges[index - 1].Last >= offset;
    }

    /// <summary>True when any offset strictly between <paramref name="low"/> and <paramref name="high"/> is in the set.</summary>
    public bool IntersectsOpen(long low, long high)
    {
        if (high - low < 2)
        {
            return false;
        }

        int index = _ranges.BinarySearch((low + 1, low + 1), RangeComparer.Instance);
        index = index < 0 ? ~index : index;
        if (index > 0 && _ranges[index - 1].Last >= low + 1)
        {
            return true;
        }

        return index < _ranges.Count && _ranges[index].First <= high - 1;
    }

    /// <summary>The text form, e.g. <c>0-4,6,8-9</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach ((long first, long last) in _ranges)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(first.ToString(CultureInfo.InvariantCulture));
            if (last != first)
            {
                text.Append('-').Append(last.ToString(CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Parses the text form in O(n log n) whatever the order of the ranges (the text comes from
    /// the stage, which anyone holding its key can write: adding ranges one by one is O(n) each).
    /// </summary>
    /// <exception cref="FormatException">
    /// The text is not a list of offsets and ranges, or an offset is <see cref="long.MaxValue"/>
    /// (the ledger stores the offset after the last one, which must fit a BIGINT).
    /// </exception>
    public static OffsetRanges Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parsed = new List<(long First, long Last)>();
        bool sorted = true;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-', 1);
            long first, last;
            if (dash < 0 && long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long single))
            {
                first = last = single;
            }
            else if (!(dash > 0
                && long.TryParse(part.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out first)
                && long.TryParse(part.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out last)
                && last >= first))
            {
                throw new FormatException($"'{Shorten(part)}' is not an offset or an offset range (first-last).");
            }

            if (last == long.MaxValue)
            {
                throw new FormatException($"'{Shorten(part)}' reaches offset {long.MaxValue}, past the last offset a ledger can follow.");
            }

            sorted &= parsed.Count == 0 || first > parsed[^1].Last;
            parsed.Add((first, last));
        }

        if (!sorted)
        {
            parsed.Sort(RangeComparer.Instance);
        }

        var ranges = new OffsetRanges();
        foreach ((long first, long last) in parsed)
        {
            // Sorted by first: each range either extends the last one or starts a new one.
            if (ranges._ranges.Count > 0 && first <= ranges._ranges[^1].Last + 1)
            {
                (long keptFirst, long keptLast) = ranges._ranges[^1];
                ranges._ranges[^1] = (keptFirst, Math.Max(keptLast, last));
            }
            else
            {
                ranges._ranges.Add((first, last));
            }
        }

        return ranges;
    }

    private static string Shorten(string part) => part.Length <= 48 ? part : part[..48] + "...";

    private sealed class RangeComparer : IComparer<(long First, long Last)>
    {
        public static readonly RangeComparer Instance = new();

        public int Compare((long First, long Last) x, (long First, long Last) y) => x.First.CompareTo(y.First);
    }
}
