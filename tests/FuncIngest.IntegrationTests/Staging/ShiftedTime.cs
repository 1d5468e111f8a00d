namespace FuncIngest.IntegrationTests.Staging;

/// <summary>The system clock, moved on by hand (only its timestamps: what lock renewal looks at).</summary>
internal sealed class ShiftedTime : TimeProvider
{
    private long _shift;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _shift, (long)(by.TotalSeconds * TimestampFrequency));

    public override long GetTimestamp() => System.GetTimestamp() + Interlocked.Read(ref _shift);
}
