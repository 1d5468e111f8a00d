using System.Collections.Concurrent;
using ZstdSharp;

namespace FuncIngest.Internal;

/// <summary>
/// Zstandard compressors kept between files. A new compressor allocates and clears its window and
/// match tables (a few MiB at level 3), which for the small files of small batches cost more
/// than compressing them; a kept one starts each file with a fresh frame (<see cref="Compressor.ResetStream"/>).
/// </summary>
internal sealed class CompressorPool(int level, int capacity)
{
    private readonly ConcurrentBag<Compressor> _idle = [];

    public Compressor Rent()
    {
        if (_idle.TryTake(out Compressor? compressor))
        {
            // Whatever the last file left (a failed write), the next one starts a new frame.
            compressor.ResetStream();
            return compressor;
        }

        return new Compressor(level);
    }

    public void Return(Compressor compressor)
    {
        if (_idle.Count < capacity)
        {
            _idle.Add(compressor);
        }
        else
        {
            compressor.Dispose();
        }
    }
}
