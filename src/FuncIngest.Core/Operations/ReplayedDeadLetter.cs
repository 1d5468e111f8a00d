namespace FuncIngest.Operations;

/// <summary>One dead-lettered record and what replay did with it.</summary>
/// <param name="Letter">The dead letter.</param>
/// <param name="Outcome">What replay did.</param>
/// <param name="Reason">The new rejection (reason: detail) for <see cref="DeadLetterReplayOutcome.StillRejected"/> and <see cref="DeadLetterReplayOutcome.RefusedAgain"/>.</param>
public sealed record ReplayedDeadLetter(DeadLetter Letter, DeadLetterReplayOutcome Outcome, string? Reason);
