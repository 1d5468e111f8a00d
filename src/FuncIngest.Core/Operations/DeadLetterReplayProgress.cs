namespace FuncIngest.Operations;

/// <summary>How far <see cref="DeadLetterManager.ReplayAsync"/> is: <paramref name="Done"/> of <paramref name="Total"/> items of <paramref name="Step"/>.</summary>
/// <param name="Step">The step it is in.</param>
/// <param name="Done">Items of the step done.</param>
/// <param name="Total">Items of the step.</param>
public readonly record struct DeadLetterReplayProgress(DeadLetterReplayStep Step, int Done, int Total);
