namespace FuncIngest.TestSupport.Databend;

/// <summary>The emulator's clock: real time plus an offset tests can advance (for load-history expiry).</summary>
public sealed class EmulatorClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
}
