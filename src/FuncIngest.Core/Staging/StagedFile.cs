namespace FuncIngest.Staging;

/// <summary>A file a batch staged (or found already staged under the same name).</summary>
/// <param name="Name">Its name (path, topic, partition, offsets).</param>
/// <param name="Lines">Records written to it.</param>
/// <param name="Created">False when a file of the same name already existed (a concurrent or earlier writer).</param>
public sealed record StagedFile(StageFileName Name, int Lines, bool Created);
