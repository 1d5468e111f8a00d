namespace FuncIngest.Operations;

/// <summary>One quarantined file and what release did with it.</summary>
/// <param name="File">The quarantined file.</param>
/// <param name="Outcome">What was done.</param>
/// <param name="Lines">Lines moved back to the staged area.</param>
/// <param name="Detail">Why, for the outcomes that need a reason.</param>
public sealed record ReleasedFile(QuarantinedFile File, ReleaseOutcome Outcome, long Lines, string? Detail);
