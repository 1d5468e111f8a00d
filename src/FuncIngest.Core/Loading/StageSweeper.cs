using FuncIngest.Staging;

namespace FuncIngest.Loading;

/// <summary>
/// Finds tables whose staged files have waited longer than a threshold, so a host that died
/// between staging a batch and scheduling its load cannot strand it: the Functions app's
/// timer signals those tables' loaders; <c>funcingest run</c> scans the stage anyway.
/// </summary>
/// <param name="store">The stage.</param>
/// <param name="prefix">The stage prefix.</param>
/// <param name="timeProvider">Clock.</param>
/// <param name="tables">
/// The tables it may report (the configured ones); null reports any table folder. A folder name
/// in the stage is not proof that a table exists: whoever can write the container could name
/// the ledger or any other table.
/// </param>
public sealed class StageSweeper(IStageStore store, string prefix, TimeProvider? timeProvider = null, IReadOnlyCollection<string>? tables = null)
{
    private readonly string _root = prefix.Trim('/');
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly HashSet<string>? _tables = tables is null ? null : new HashSet<string>(tables, StringComparer.Ordinal);

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
                || name.Table.StartsWith('_')
                || (_tables is not null && !_tables.Contains(name.Table)))
            {
                continue;
            }

            (int files, DateTimeOffset oldest) = tables.GetValueOrDefault(name.Table, (0, DateTimeOffset.MaxValue));
            tables[name.Table] = (files + 1, staged.LastModified < oldest ? staged.LastModified : oldest);
        }

        return [.. tables.Select(t => new StrandedTable(t.Key, t.Value.Files, t.Value.Oldest)).OrderBy(t => t.Table, StringComparer.Ordinal)];
    }
}
