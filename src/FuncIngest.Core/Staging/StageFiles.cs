using System.Globalization;
using System.IO.Compression;

namespace FuncIngest.Staging;

/// <summary>Reading staged files back: their line offsets and their decompressed content.</summary>
public static class StageFiles
{
    /// <summary>
    /// Why a listed object may not stand for the offsets its name claims, or null when it may:
    /// it must be non-empty and carry the metadata FuncIngest writes, agreeing with its name
    /// (first and last offset, and a line count that fits the range). Stage names and metadata
    /// come from whoever can write the container; an empty blob named for a huge range must not
    /// make the stager skip real records, nor the loader move the ledger past them.
    /// </summary>
    public static string? Disagreement(StageFileName name, StagedObject staged)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(staged);
        if (staged.Size <= 0)
        {
            return "it is empty";
        }

        if (!TryGetOffset(staged, StageMetadata.FirstOffset, out long first) || first != name.FirstOffset)
        {
            return $"its {StageMetadata.FirstOffset} metadata does not match the first offset of its name";
        }

        if (!TryGetOffset(staged, StageMetadata.LastOffset, out long last) || last != name.LastOffset)
        {
            return $"its {StageMetadata.LastOffset} metadata does not match the last offset of its name";
        }

        if (!TryGetOffset(staged, StageMetadata.LineCount, out long lines) || lines < 1 || lines - 1 > name.LastOffset - name.FirstOffset)
        {
            return $"its {StageMetadata.LineCount} metadata is missing or does not fit offsets {name.FirstOffset}-{name.LastOffset}";
        }

        if (!staged.Metadata.TryGetValue(StageMetadata.LineOffsets, out string? offsets) || offsets.Length == 0)
        {
            return $"it has no {StageMetadata.LineOffsets} metadata";
        }

        return null;
    }

    /// <summary>
    /// The offsets of a file's lines, checked against its name and line count: every offset
    /// inside the name's range and as many as the file has lines.
    /// </summary>
    /// <exception cref="InvalidDataException">The offsets are missing, malformed, too large, or disagree with the name.</exception>
    public static async Task<OffsetRanges> ReadCheckedLineOffsetsAsync(IStageStore store, StageFileName name, StagedObject staged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        OffsetRanges ranges;
        try
        {
            ranges = await ReadLineOffsetsAsync(store, staged, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"Stage file {staged.Path} has malformed line offsets: {e.Message}", e);
        }

        if (ranges.Ranges.Count == 0 || ranges.Ranges[0].First < name.FirstOffset || ranges.Ranges[^1].Last > name.LastOffset)
        {
            throw new InvalidDataException($"Stage file {staged.Path} lists line offsets outside {name.FirstOffset}-{name.LastOffset}, the range of its name.");
        }

        if (TryGetOffset(staged, StageMetadata.LineCount, out long lines) && lines != ranges.Count)
        {
            throw new InvalidDataException($"Stage file {staged.Path} lists {ranges.Count} line offsets but has {lines} lines.");
        }

        return ranges;
    }

    /// <summary>The offsets of a staged or dead-letter file's lines, from metadata or its sidecar.</summary>
    /// <exception cref="InvalidDataException">The object was not written by FuncIngest, or its sidecar is larger than <see cref="StageMetadata.MaxSidecarBytes"/>.</exception>
    /// <exception cref="FormatException">The offsets text is malformed.</exception>
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
                text = await ReadAtMostAsync(sidecar, StageMetadata.MaxSidecarBytes, staged.Path, cancellationToken).ConfigureAwait(false);
            }
        }

        return OffsetRanges.Parse(text);
    }

    private static bool TryGetOffset(StagedObject staged, string key, out long value)
    {
        value = 0;
        return staged.Metadata.TryGetValue(key, out string? text)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static async Task<string> ReadAtMostAsync(Stream stream, int limit, string path, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        while (true)
        {
            int read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return System.Text.Encoding.ASCII.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            }

            if (buffer.Length + read > limit)
            {
                throw new InvalidDataException($"The line offsets sidecar of {path} is larger than {limit} bytes; it was not written by FuncIngest.");
            }

            buffer.Write(chunk, 0, read);
        }
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
