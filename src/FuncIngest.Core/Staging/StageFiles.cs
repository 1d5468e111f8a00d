using System.IO.Compression;

namespace FuncIngest.Staging;

/// <summary>Reading staged files back: their line offsets and their decompressed content.</summary>
public static class StageFiles
{
    /// <summary>The offsets of a staged or dead-letter file's lines, from metadata or its sidecar.</summary>
    /// <exception cref="InvalidDataException">The object was not written by FuncIngest.</exception>
    public static async Task<OffsetRanges> ReadLineOffsetsAsync(IStageStore store, StagedObject staged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staged);
        if (!staged.Metadata.TryGetValue(StageMetadata.LineOffsets, out string? text))
        {
            throw new InvalidDataException($"Stage file {staged.Path} has no {StageMetadata.LineOffsets} metadata; it was not written by FuncIngest.");
        }

        if (text == StageMetadata.SidecarMarker)
        {
            Stream sidecar = await store.OpenReadAsync(staged.Path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
            await using (sidecar.ConfigureAwait(false))
            {
                using var reader = new StreamReader(sidecar);
                text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return OffsetRanges.Parse(text);
    }

    /// <summary>Wraps a staged file's stream in the decompressor its name calls for.</summary>
    public static Stream Decompress(Stream compressed, StageCompression compression) => compression switch
    {
        StageCompression.Zstd => new ZstdSharp.DecompressionStream(compressed),
        StageCompression.Gzip => new GZipStream(compressed, CompressionMode.Decompress),
        _ => compressed,
    };

    /// <summary>
    /// Wraps <paramref name="destination"/> in the compressor for <paramref name="compression"/>,
    /// leaving the destination open; for <see cref="StageCompression.None"/> it returns the
    /// destination itself (do not dispose that one).
    /// </summary>
    public static Stream Compress(Stream destination, StageCompression compression, int zstdLevel) => compression switch
    {
        StageCompression.Zstd => new ZstdSharp.CompressionStream(destination, zstdLevel, leaveOpen: true),
        StageCompression.Gzip => new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true),
        _ => destination,
    };

    /// <summary>Each offset a range set holds, ascending.</summary>
    public static IEnumerable<long> Offsets(OffsetRanges ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        foreach ((long first, long last) in ranges.Ranges)
        {
            for (long o = first; o <= last; o++)
            {
                yield return o;
            }
        }
    }
}
