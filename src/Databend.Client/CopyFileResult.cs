namespace Databend.Client;

/// <summary>One row of a <c>COPY INTO</c> result: how one file loaded.</summary>
/// <param name="File">The file path inside the stage.</param>
/// <param name="RowsLoaded">Rows loaded from the file.</param>
/// <param name="ErrorsSeen">Rows that failed (with <c>ON_ERROR = CONTINUE</c>).</param>
/// <param name="FirstError">The first error message, if any.</param>
/// <param name="FirstErrorLine">The line of the first error, if any.</param>
public sealed record CopyFileResult(string File, long RowsLoaded, long ErrorsSeen, string? FirstError, long? FirstErrorLine)
{
    /// <summary>
    /// Reads the per-file rows of a COPY result (columns File, Rows_loaded, Errors_seen,
    /// First_error, First_error_line, matched by name).
    /// </summary>
    /// <exception cref="InvalidOperationException">The result does not have COPY's columns.</exception>
    public static IReadOnlyList<CopyFileResult> FromResult(DatabendResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Rows.Count == 0)
        {
            return [];
        }

        DatabendRow first = result.Rows[0];
        int file, rows, errors, firstError, firstErrorLine;
        try
        {
            file = first.GetOrdinal("File");
            rows = first.GetOrdinal("Rows_loaded");
            errors = first.GetOrdinal("Errors_seen");
            firstError = first.GetOrdinal("First_error");
            firstErrorLine = first.GetOrdinal("First_error_line");
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException("The result is not a COPY INTO result: " + e.Message, e);
        }

        return [.. result.Rows.Select(r => new CopyFileResult(
            r.GetString(file),
            r.GetInt64(rows),
            r.GetInt64(errors),
            r.IsNull(firstError) || r[firstError]!.Length == 0 ? null : r[firstError],
            r.IsNull(firstErrorLine) ? null : r.GetInt64(firstErrorLine)))];
    }
}
