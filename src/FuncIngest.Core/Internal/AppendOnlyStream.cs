namespace FuncIngest.Internal;

/// <summary>
/// A stream that is only appended to, with nothing to flush: what the stage's in-memory buffers
/// (<see cref="BlockUploadStream"/>, <see cref="SegmentBufferStream"/>) share. The length is what
/// was written.
/// </summary>
internal abstract class AppendOnlyStream : Stream
{
    public sealed override bool CanRead => false;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => true;

    public sealed override long Position
    {
        get => Length;
        set => throw new NotSupportedException();
    }

    public sealed override void Flush()
    {
    }

    public sealed override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
