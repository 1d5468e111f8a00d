using FuncIngest.Staging;

namespace FuncIngest.Operations;

/// <summary>A file the loader put in the quarantine, as <c>funcingest quarantine list</c> shows it.</summary>
/// <param name="Name">Its name in the quarantine (topic, partition, offsets; <see cref="StageFileName.Path"/> is the blob path).</param>
/// <param name="Lines">Records in it (its line-count metadata), or -1 when missing.</param>
/// <param name="Error">Why the loader gave up on it (<see cref="StageMetadata.QuarantineError"/>).</param>
/// <param name="QuarantinedAt">When it was written to the quarantine.</param>
/// <param name="Size">Its size in bytes (compressed).</param>
public sealed record QuarantinedFile(StageFileName Name, long Lines, string Error, DateTimeOffset QuarantinedAt, long Size);
