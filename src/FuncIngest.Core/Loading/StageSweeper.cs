using FuncIngest.Staging;

namespace FuncIngest.Loading;

/// <summary>
/// Finds tables whose staged files have waited longer than a threshold, so a host that died
/// between staging a batch and scheduling its load cannot strand it: the Functions app's
/// timer signals those tables' loaders; <c>funcingest run</c> scans the stage anyway.
/// </summary>
public sealed class StageSweeper(IStageStore store, string prefix, TimeProvider? timeProvider = null)
{
    private readonly string _root = prefix.Trim('/');
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Tables with staged files last written more than <paramref name="olderThan"/> ago.</summary>
    public async Task<IReadOnlyList<StrandedTable>> FindStrandedAsync(TimeSpan olderThan, CancellationToken cancellationToken = default)
    {
        DateTimeOffset cutoff = _time.GetUtcNow() - olderThan;
        var tables = new Dictionary<string, (int Files, DateTimeOffset Oldest)>(StringComparer.Ordinal);
        await foreach (StagedObject staged in store.ListAsync(_root.Length == 0 ? string.Empty : _root + "/", cancellationToken).ConfigureAwait(false))
        {
            if (staged.LastModified > cutoff
                || !StageFileName.TryParse(staged.Path, out StageFileName? name)
                || name.Prefix != _root
                || name.Table.StartsWith('_'))
            {
                continue;
            }

            (int files, DateTimeOffset oldest) = tables.GetValueOrDefault(name.Table, (0, DateTimeOffset.MaxValue));
            tables[name.Table] = (files + 1, staged.LastModified < oldest ? staged.LastModified : oldest);
        }

        return [.. tables.Select(t => new StrandedTable(t.Key, t.Value.Files, t.Value.Oldest)).OrderBy(t => t.Table, StringComparer.Ordinal)];
    }
}
