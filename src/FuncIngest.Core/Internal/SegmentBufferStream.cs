using System.Buffers;

namespace FuncIngest.Internal;

/// <summary>
/// A write-only stream into pooled segments: where a staged file's bytes wait while its batch is
/// still being consumed. Segments start small and grow (4 KiB, 16 KiB, then 64 KiB), so
/// a partition with a few records in a batch does not hold a large buffer, and no segment is
/// copied into a bigger one as the file grows.
/// </summary>
internal sealed class SegmentBufferStream : AppendOnlyStream
{
    private const int FirstSegmentSize = 4 * 1024;
    private const int MaxSegmentSize = 64 * 1024;

    private readonly List<byte[]> _segments = [];
    private int _lastFilled;
    private long _length;

    public override long Length => _length;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_segments.Count == 0 || _lastFilled == _segments[^1].Length)
            {
                int size = _segments.Count == 0 ? FirstSegmentSize : Math.Min(_segments[^1].Length * 4, MaxSegmentSize);
                _segments.Add(ArrayPool<byte>.Shared.Rent(size));
                _lastFilled = 0;
            }

            byte[] last = _segments[^1];
            int take = Math.Min(buffer.Length, last.Length - _lastFilled);
            buffer[..take].CopyTo(last.AsSpan(_lastFilled));
            _lastFilled += take;
            _length += take;
            buffer = buffer[take..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <summary>Writes everything held to <paramref name="destination"/>, in order.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken cancellationToken)
    {
        for (int i = 0; i < _segments.Count; i++)
        {
            int filled = i == _segments.Count - 1 ? _lastFilled : _segments[i].Length;
            await destination.WriteAsync(_segments[i].AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes everything held to <paramref name="destination"/>, in order, synchronously (an in-memory destination).</summary>
    public void WriteTo(Stream destination)
    {
        for (int i = 0; i < _segments.Count; i++)
        {
            destination.Write(_segments[i], 0, i == _segments.Count - 1 ? _lastFilled : _segments[i].Length);
        }
    }

    /// <summary>A copy of everything held, as one readable stream (for the rare file that must be cut again).</summary>
    public MemoryStream ToMemoryStream()
    {
        var copy = new MemoryStream(checked((int)_length));
        for (int i = 0; i < _segments.Count; i++)
        {
            copy.Write(_segments[i], 0, i == _segments.Count - 1 ? _lastFilled : _segments[i].Length);
        }

        copy.Position = 0;
        return copy;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (byte[] segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment);
        }

        _segments.Clear();
        _lastFilled = 0;
        _length = 0;
        base.Dispose(disposing);
    }
}
