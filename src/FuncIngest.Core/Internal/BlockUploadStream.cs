using System.Buffers;
using System.Buffers.Binary;
using Azure.Storage.Blobs.Specialized;

namespace FuncIngest.Internal;

/// <summary>
/// A write-only stream that sends what it is given as uncommitted blocks of a block blob,
/// holding at most one block in a pooled buffer. Block ids carry a per-upload random part, so
/// two writers racing for the same blob never commit each other's blocks.
/// </summary>
/// <remarks>
/// The buffer starts small and doubles up to the block size: a staged file is mostly far smaller
/// than a block (4 MiB by default), and a whole block per upload was about 20 MB of the 400 MB a
/// 400,000-record <c>funcingest run</c> allocated (docs/performance.md, fourth step). Blocks are
/// cut at the configured size, not at the length of the array the pool hands out, which is the
/// next power of two.
/// </remarks>
internal sealed class BlockUploadStream : AppendOnlyStream
{
    private readonly BlockBlobClient _blob;
    private readonly byte[] _uploadId = Guid.NewGuid().ToByteArray();
    private readonly List<string> _blockIds = [];
    private readonly int _blockSize;
    private byte[] _buffer;
    private int _filled;
    private long _length;

    public BlockUploadStream(BlockBlobClient blob, int blockSize)
    {
        _blob = blob;
        _blockSize = blockSize;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(blockSize, InitialBufferSize));
    }

    /// <summary>The first buffer's size; it doubles up to the block size as the file grows.</summary>
    internal const int InitialBufferSize = 64 * 1024;

    /// <summary>What the buffer holds before it is sent: the block size, or less while the buffer is still growing.</summary>
    private int Room => Math.Min(_buffer.Length, _blockSize) - _filled;

    public IReadOnlyList<string> BlockIds => _blockIds;

    public override long Length => _length;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, Room);
            buffer.Span[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            _length += take;
            buffer = buffer[take..];
            if (Room == 0 && !TryGrow())
            {
                await SendBlockAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Compressors may write synchronously while finishing a frame; those writes only fill the buffer
    // until it is full, which the async path then sends.
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, Room);
            buffer[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            _length += take;
            buffer = buffer[take..];
            if (Room == 0 && !TryGrow())
            {
                SendBlockAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Sends what is buffered as a last block.</summary>
    public async Task FlushBlocksAsync(CancellationToken cancellationToken)
    {
        if (_filled > 0)
        {
            await SendBlockAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        byte[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        base.Dispose(disposing);
    }

    /// <summary>Doubles a full buffer that is still smaller than a block; false when it is a whole block.</summary>
    private bool TryGrow()
    {
        if (_buffer.Length >= _blockSize)
        {
            return false;
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, _blockSize));
        _buffer.AsSpan(0, _filled).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        return true;
    }

    private async Task SendBlockAsync(CancellationToken cancellationToken)
    {
        Span<byte> id = stackalloc byte[20];
        _uploadId.CopyTo(id);
        BinaryPrimitives.WriteInt32BigEndian(id[16..], _blockIds.Count);
        string blockId = Convert.ToBase64String(id);
        using (var content = new MemoryStream(_buffer, 0, _filled, writable: false))
        {
            await _blob.StageBlockAsync(blockId, content, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        _blockIds.Add(blockId);
        _filled = 0;
    }
}
