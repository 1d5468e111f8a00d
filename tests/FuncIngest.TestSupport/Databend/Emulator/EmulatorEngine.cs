using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;

namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>
/// Executes the SQL subset FuncIngest and its tests send, with Databend's documented
/// semantics. Statements run one at a time (a global gate), transactions interleave between
/// statements. Anything else fails with code 1005 and the statement text, so no test can pass
/// on SQL the emulator does not really implement.
/// </summary>
internal sealed class EmulatorEngine(TimeProvider time) : IDisposable
{
    private readonly Dictionary<string, EmulatedTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, EmulatedStage> _stages = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Where internal stages keep their files (a container in Azurite), or null when internal
    /// stages are not available. Databend keeps them under <c>stage/internal/{name}/</c> of its
    /// own storage (databend tests/suites: presign tests copy to <c>.../stage/internal/presign_stage/</c>).
    /// </summary>
    public Azure.Storage.Blobs.BlobContainerClient? InternalStorage { get; set; }

    /// <summary>
    /// Not Databend's documented behaviour: LIST names files relative to the listed folder
    /// instead of the stage root, to test that clients cope with either.
    /// </summary>
    public bool ListNamesRelativeToLocation { get; set; }

    /// <summary>How long COPY remembers a loaded file (Databend setting load_file_metadata_expire_hours, default 24).</summary>
    public TimeSpan LoadHistoryExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>What <c>SELECT version()</c> answers; the Databend version whose rules the emulator follows.</summary>
    public string ServerVersion { get; set; } = "v1.2.934-nightly-emulator(rust-emulator)";

    public void Dispose() => _gate.Dispose();

    public IReadOnlyList<object?[]> CommittedRows(string table) =>
        _tables.TryGetValue(table, out EmulatedTable? t) ? t.Rows : throw new InvalidOperationException($"No table {table}.");

    public IReadOnlyList<EmulatedColumn> ColumnsOf(string table) => _tables[table].Columns;

    public async Task<StatementResult> ExecuteAsync(EmulatedSession session, string sql, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cursor = new SqlCursor(SqlTokenizer.Tokenize(sql), sql);
            return await ExecuteInSessionAsync(session, cursor, sql, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<StatementResult> ExecuteInSessionAsync(EmulatedSession session, SqlCursor cursor, string sql, CancellationToken cancellationToken)
    {
        if (cursor.TryWord("BEGIN") || cursor.TryWords("START", "TRANSACTION"))
        {
            cursor.TryWord("TRANSACTION");
            cursor.End();
            if (session.Transaction is null)
            {
                session.Transaction = NewTransaction();
                session.TxnState = "Active";
            }

            return StatementResult.Empty;
        }

        if (cursor.TryWord("COMMIT"))
        {
            cursor.End();
            Transaction? txn = session.Transaction;
            string state = session.TxnState;
            session.Transaction = null;
            session.TxnState = "AutoCommit";
            // In Fail, COMMIT reports success and commits nothing (test_txn_fail: commit after a
            // failed statement returns Succeeded with txn_state AutoCommit).
            if (txn is not null && state == "Active")
            {
                await CommitAsync(txn, cancellationToken).ConfigureAwait(false);
            }

            return StatementResult.Empty;
        }

        if (cursor.TryWord("ROLLBACK") || cursor.TryWord("ABORT"))
        {
            cursor.End();
            session.Transaction = null;
            session.TxnState = "AutoCommit";
            return StatementResult.Empty;
        }

        if (session.TxnState == "Fail")
        {
            // The transaction stays failed until COMMIT or ROLLBACK (test_txn_fail: "keep fail state until commit/abort").
            throw new EmulatorException(4002, "current transaction is aborted, commands ignored until end of transaction block");
        }

        bool autoCommit = session.Transaction is null;
        Transaction txn2 = session.Transaction ?? NewTransaction();
        try
        {
            StatementResult result = await ExecuteStatementAsync(session, txn2, cursor, sql, cancellationToken).ConfigureAwait(false);
            if (autoCommit)
            {
                await CommitAsync(txn2, cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        catch (EmulatorException) when (!autoCommit)
        {
            session.TxnState = "Fail";
            throw;
        }
    }

    private static Transaction NewTransaction() => new();

    /// <summary>The table as the transaction writes it; the first write fixes its base at the latest commit.</summary>
    private static TxnTable Touch(Transaction txn, EmulatedTable table)
    {
        if (!txn.Tables.TryGetValue(table.Name, out TxnTable? state))
        {
            state = new TxnTable(table.Segments);
            txn.Tables[table.Name] = state;
        }

        return state;
    }

    /// <summary>What a statement reads: the transaction's own version of a table it wrote, else the latest commit (reads are not pinned).</summary>
    private static IEnumerable<object?[]> Visible(Transaction txn, EmulatedTable table) =>
        txn.Tables.TryGetValue(table.Name, out TxnTable? state) ? state.Rows : table.Rows;

    /// <summary>
    /// Databend's commit rule (databendlabs/databend: src/query/storages/fuse/src/retry/commit.rs,
    /// <c>commit_with_backoff</c> and <c>try_rebuild_req</c>; retry/diff.rs, <c>SegmentsDiff</c>):
    /// each table's change is the difference between its base and the transaction's segments
    /// (segments replaced or removed, segments added), computed once. If the table moved on
    /// since the base, the change is applied to the latest snapshot, and the commit fails with
    /// 4001 UnresolvableConflict only when a segment it replaced or removed is no longer there.
    /// Appends always merge. So two transactions that REPLACE a key absent from their base
    /// both commit, while two that UPDATE one existing row from the same base cannot.
    /// </summary>
    private async Task CommitAsync(Transaction txn, CancellationToken cancellationToken)
    {
        var plans = new List<(EmulatedTable Table, HashSet<long> Removed, List<EmulatedSegment> Added)>();
        foreach ((string name, TxnTable state) in txn.Tables)
        {
            EmulatedTable table = Table(name);
            var current = state.Segments.Select(s => s.Id).ToHashSet();
            var baseIds = state.BaseSegments.Select(s => s.Id).ToHashSet();
            var removed = baseIds.Where(id => !current.Contains(id)).ToHashSet();
            List<EmulatedSegment> added = [.. state.Segments.Where(s => !baseIds.Contains(s.Id))];
            var latest = table.Segments.Select(s => s.Id).ToHashSet();
            if (removed.Any(id => !latest.Contains(id)))
            {
                throw new EmulatorException(4001, $"Unresolvable conflict detected for table {name}");
            }

            plans.Add((table, removed, added));
        }

        foreach ((EmulatedTable table, HashSet<long> removed, List<EmulatedSegment> added) in plans)
        {
            if (removed.Count > 0 || added.Count > 0)
            {
                table.Segments = [.. added, .. table.Segments.Where(s => !removed.Contains(s.Id))];
                table.Version++;
            }
        }

        DateTimeOffset now = time.GetUtcNow();
        foreach ((string table, string path) in txn.LoadedFiles)
        {
            Table(table).LoadHistory[path] = now;
        }

        foreach ((EmulatedStage stage, string blob) in txn.Purges)
        {
            await stage.Container.DeleteBlobIfExistsAsync(blob, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<StatementResult> ExecuteStatementAsync(EmulatedSession session, Transaction txn, SqlCursor cursor, string sql, CancellationToken cancellationToken)
    {
        if (cursor.TryWord("CREATE"))
        {
            bool orReplace = cursor.TryWords("OR", "REPLACE");
            if (cursor.TryWord("TABLE"))
            {
                return CreateTable(cursor, orReplace);
            }

            if (cursor.TryWord("STAGE"))
            {
                return CreateStage(cursor, orReplace);
            }

            throw Unsupported(sql);
        }

        if (cursor.TryWord("DROP"))
        {
            bool isTable = cursor.TryWord("TABLE");
            if (!isTable)
            {
                cursor.Word("STAGE");
            }

            bool ifExists = cursor.TryWords("IF", "EXISTS");
            string name = isTable ? cursor.TableName() : cursor.StageName();
            cursor.End();
            bool removed = isTable ? _tables.Remove(name) : _stages.Remove(name);
            if (!removed && !ifExists)
            {
                throw new EmulatorException(isTable ? 1025 : 2501, $"Unknown {(isTable ? "table" : "stage")} '{name}'");
            }

            return StatementResult.Empty;
        }

        if (cursor.TryWord("DESC") || cursor.TryWord("DESCRIBE"))
        {
            cursor.TryWord("TABLE");
            EmulatedTable table = Table(cursor.TableName());
            cursor.End();
            return new StatementResult(
                [("Field", "String"), ("Type", "String"), ("Null", "String"), ("Default", "String"), ("Extra", "String")],
                [.. table.Columns.Select(c => new string?[] { c.Name, c.DisplayType.Replace("Nullable(", string.Empty, StringComparison.Ordinal).TrimEnd(')').ToUpperInvariant(), c.Nullable ? "YES" : "NO", c.Default is null ? "NULL" : EmulatedColumn.Render(c.Default), string.Empty })],
                0);
        }

        if (cursor.TryWord("USE"))
        {
            session.Database = cursor.Identifier();
            cursor.End();
            return StatementResult.Empty;
        }

        if (cursor.TryWord("SET"))
        {
            string key = cursor.Identifier();
            cursor.Symbol("=");
            session.Settings[key] = cursor.Literal().Text;
            cursor.End();
            return StatementResult.Empty;
        }

        if (cursor.TryWord("SELECT"))
        {
            if (cursor.Peek.IsWord("VERSION"))
            {
                cursor.Next();
                cursor.Symbol("(");
                cursor.Symbol(")");
                cursor.End();
                return new StatementResult([("version()", "String")], [[ServerVersion]], 0);
            }

            return Select(txn, cursor);
        }

        if (cursor.TryWord("INSERT"))
        {
            cursor.Word("INTO");
            return Insert(txn, cursor, replaceKeys: null);
        }

        if (cursor.TryWord("REPLACE"))
        {
            cursor.Word("INTO");
            return Insert(txn, cursor, replaceKeys: []);
        }

        if (cursor.TryWord("UPDATE"))
        {
            return Update(txn, cursor);
        }

        if (cursor.TryWord("DELETE"))
        {
            cursor.Word("FROM");
            EmulatedTable table = Table(cursor.TableName());
            Func<object?[], bool> where = cursor.TryWord("WHERE") ? Where(table, cursor) : _ => true;
            cursor.End();
            int removed = Touch(txn, table).Rewrite(r => where(r) ? null : r);
            // DELETE answers "number of rows deleted" (planner/plans/mutation.rs, DELETE_NAME).
            return new StatementResult([("number of rows deleted", "UInt64")], [[removed.ToString(System.Globalization.CultureInfo.InvariantCulture)]], removed);
        }

        if (cursor.TryWord("COPY"))
        {
            cursor.Word("INTO");
            return await CopyAsync(txn, cursor, cancellationToken).ConfigureAwait(false);
        }

        if (cursor.TryWord("PRESIGN"))
        {
            return Presign(cursor);
        }

        if (cursor.TryWord("LIST"))
        {
            return await ListAsync(cursor, cancellationToken).ConfigureAwait(false);
        }

        if (cursor.TryWord("REMOVE"))
        {
            return await RemoveAsync(cursor, cancellationToken).ConfigureAwait(false);
        }

        throw Unsupported(sql);
    }

    private static EmulatorException Unsupported(string sql) => new(1005, $"the Databend emulator does not support this statement: {sql}");

    private EmulatedTable Table(string name) =>
        _tables.TryGetValue(name, out EmulatedTable? table) ? table : throw new EmulatorException(1025, $"Unknown table '{name}'");

    private StatementResult CreateTable(SqlCursor cursor, bool orReplace)
    {
        bool ifNotExists = cursor.TryWords("IF", "NOT", "EXISTS");
        string name = cursor.TableName();
        cursor.Symbol("(");
        var columns = new List<EmulatedColumn>();
        do
        {
            string column = cursor.Identifier();
            string typeName = cursor.Identifier();
            if (cursor.TrySymbol("("))
            {
                while (!cursor.TrySymbol(")"))
                {
                    cursor.Next();
                }
            }

            bool nullable = true;
            object? defaultValue = null;
            while (true)
            {
                if (cursor.TryWords("NOT", "NULL"))
                {
                    nullable = false;
                }
                else if (cursor.TryWord("NULL"))
                {
                    nullable = true;
                }
                else if (cursor.TryWord("DEFAULT"))
                {
                    SqlToken literal = cursor.Literal();
                    defaultValue = new EmulatedColumn(column, EmulatedColumn.KindOf(typeName), true, null).FromLiteral(literal);
                }
                else
                {
                    break;
                }
            }

            columns.Add(new EmulatedColumn(column, EmulatedColumn.KindOf(typeName), nullable, defaultValue));
        }
        while (cursor.TrySymbol(","));

        cursor.Symbol(")");
        cursor.End();
        if (_tables.ContainsKey(name) && !orReplace)
        {
            return ifNotExists ? StatementResult.Empty : throw new EmulatorException(2302, $"Table '{name}' already exists");
        }

        _tables[name] = new EmulatedTable(name, columns);
        return StatementResult.Empty;
    }

    private StatementResult CreateStage(SqlCursor cursor, bool orReplace)
    {
        bool ifNotExists = cursor.TryWords("IF", "NOT", "EXISTS");
        string name = cursor.StageName();
        string? url = null;
        var connection = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!cursor.AtEnd)
        {
            if (cursor.TryWord("URL"))
            {
                cursor.Symbol("=");
                url = cursor.Literal().Text;
            }
            else if (cursor.TryWord("CONNECTION"))
            {
                cursor.Symbol("=");
                cursor.Symbol("(");
                while (!cursor.TrySymbol(")"))
                {
                    string key = cursor.Identifier().ToUpperInvariant();
                    cursor.Symbol("=");
                    connection[key] = cursor.Literal().Text;
                    cursor.TrySymbol(",");
                }
            }
            else
            {
                throw cursor.Unexpected("URL or CONNECTION");
            }
        }

        if (url is null && InternalStorage is null)
        {
            throw new EmulatorException(1005, "this emulator was started without internal storage, so it has only external azblob stages (CREATE STAGE ... URL='azblob://...')");
        }

        if (_stages.ContainsKey(name) && !orReplace)
        {
            return ifNotExists ? StatementResult.Empty : throw new EmulatorException(2502, $"Stage '{name}' already exists");
        }

        _stages[name] = url is null ? new EmulatedStage(name, InternalStorage!, $"stage/internal/{name}/") : EmulatedStage.Create(name, url, connection);
        return StatementResult.Empty;
    }

    /// <summary>
    /// <c>PRESIGN [DOWNLOAD | UPLOAD] @stage/path [EXPIRE = n]</c>: one row (method, headers,
    /// url) (Databend docs "PRESIGN"). Here the URL is an Azurite SAS URL, as a Databend on
    /// Azure storage would give; an upload needs the header Azure's Put Blob requires.
    /// </summary>
    private StatementResult Presign(SqlCursor cursor)
    {
        bool upload = cursor.TryWord("UPLOAD");
        if (!upload)
        {
            cursor.TryWord("DOWNLOAD");
        }

        (EmulatedStage stage, string path) = StageLocation(cursor);
        TimeSpan expire = TimeSpan.FromSeconds(3600);
        if (cursor.TryWord("EXPIRE"))
        {
            cursor.Symbol("=");
            expire = TimeSpan.FromSeconds(int.Parse(cursor.Next().Text, System.Globalization.CultureInfo.InvariantCulture));
        }

        cursor.End();
        if (path.Length == 0 || path.EndsWith('/'))
        {
            throw new EmulatorException(1005, "PRESIGN needs a file path, not a folder");
        }

        Uri url = stage.Container.GetBlobClient(stage.Root + path).GenerateSasUri(
            upload ? Azure.Storage.Sas.BlobSasPermissions.Create | Azure.Storage.Sas.BlobSasPermissions.Write : Azure.Storage.Sas.BlobSasPermissions.Read,
            time.GetUtcNow() + expire);
        return new StatementResult(
            [("method", "String"), ("headers", "Variant"), ("url", "String")],
            [[upload ? "PUT" : "GET", upload ? """{"x-ms-blob-type":"BlockBlob"}""" : "{}", url.ToString()]],
            0);
    }

    /// <summary>
    /// <c>LIST @stage[/path]</c>: name (relative to the stage root, as databend's list_stage
    /// sqllogictests show), size, md5, last_modified, creator.
    /// </summary>
    private async Task<StatementResult> ListAsync(SqlCursor cursor, CancellationToken cancellationToken)
    {
        (EmulatedStage stage, string path) = StageLocation(cursor);
        cursor.End();
        var rows = new List<string?[]>();
        await foreach (BlobItem item in stage.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, stage.Root + path, cancellationToken).ConfigureAwait(false))
        {
            string fromRoot = item.Name[stage.Root.Length..];
            rows.Add([
                ListNamesRelativeToLocation ? fromRoot[(path.LastIndexOf('/') + 1)..] : fromRoot,
                (item.Properties.ContentLength ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                item.Properties.ContentHash is { } hash ? Convert.ToHexStringLower(hash) : null,
                (item.Properties.LastModified ?? DateTimeOffset.MinValue).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff '+0000'", System.Globalization.CultureInfo.InvariantCulture),
                null,
            ]);
        }

        return new StatementResult([("name", "String"), ("size", "UInt64"), ("md5", "Nullable(String)"), ("last_modified", "String"), ("creator", "Nullable(String)")], rows, 0);
    }

    /// <summary>
    /// <c>REMOVE @stage/path</c>: removes every file whose name starts with the path, as a
    /// string prefix (databendlabs/databend: src/query/service/src/interpreters/interpreter_user_stage_remove.rs
    /// lists <c>StageFilesInfo { path, files: None }</c> and removes what the listing returns), so
    /// <c>REMOVE @s/a.ndjson</c> also removes <c>a.ndjson.meta</c>. Nothing to remove is not an error.
    /// </summary>
    private async Task<StatementResult> RemoveAsync(SqlCursor cursor, CancellationToken cancellationToken)
    {
        (EmulatedStage stage, string path) = StageLocation(cursor);
        cursor.End();
        await foreach (BlobItem item in stage.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, stage.Root + path, cancellationToken).ConfigureAwait(false))
        {
            await stage.Container.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return StatementResult.Empty;
    }

    private (EmulatedStage Stage, string Path) StageLocation(SqlCursor cursor)
    {
        SqlToken reference = cursor.Next();
        if (reference.Kind != SqlTokenKind.StageReference)
        {
            throw cursor.Unexpected("@stage/path");
        }

        string[] parts = SplitStageReference(reference.Text);
        EmulatedStage stage = _stages.TryGetValue(parts[0], out EmulatedStage? s) ? s : throw new EmulatorException(2501, $"Unknown stage '{parts[0]}'");
        return (stage, parts.Length > 1 ? parts[1] : string.Empty);
    }

    /// <summary>
    /// <c>@name[/path]</c>: the name is a plain identifier (ast/src/parser/common.rs, <c>stage_name</c>);
    /// <c>@`name`</c> or <c>@"name"</c> is a syntax error, as on Databend.
    /// </summary>
    private static string[] SplitStageReference(string text)
    {
        string[] parts = text.Split('/', 2);
        if (parts[0].Length == 0 || !(char.IsLetter(parts[0][0]) || parts[0][0] == '_' || parts[0] == "~") || !parts[0].All(c => char.IsLetterOrDigit(c) || c is '_' or '$' || c == '~'))
        {
            throw new EmulatorException(1005, $"SyntaxException: a stage reference is @name with a plain identifier, got '@{text}'");
        }

        return parts;
    }

    private StatementResult Select(Transaction txn, SqlCursor cursor)
    {
        var items = new List<SqlToken>();
        bool countStar = false;
        do
        {
            if (cursor.Peek.IsWord("COUNT"))
            {
                cursor.Next();
                cursor.Symbol("(");
                cursor.Symbol("*");
                cursor.Symbol(")");
                countStar = true;
            }
            else if (cursor.TrySymbol("*"))
            {
                items.Add(new SqlToken(SqlTokenKind.Symbol, "*"));
            }
            else
            {
                items.Add(cursor.Next());
            }
        }
        while (cursor.TrySymbol(","));

        if (!cursor.TryWord("FROM"))
        {
            cursor.End();
            if (countStar || items.Any(i => i.Kind is not (SqlTokenKind.Number or SqlTokenKind.String)))
            {
                throw cursor.Unexpected("FROM");
            }

            return new StatementResult(
                [.. items.Select(i => (i.Text, i.Kind == SqlTokenKind.Number ? "UInt8" : "String"))],
                [[.. items.Select(i => (string?)i.Text)]],
                0);
        }

        EmulatedTable table = Table(cursor.TableName());
        Func<object?[], bool> where = cursor.TryWord("WHERE") ? Where(table, cursor) : _ => true;
        IEnumerable<object?[]> rows = Visible(txn, table).Where(where);
        if (countStar)
        {
            cursor.End();
            if (items.Count > 0)
            {
                throw new EmulatorException(1005, "the emulator supports COUNT(*) alone (no GROUP BY)");
            }

            return new StatementResult([("count()", "UInt64")], [[rows.Count().ToString(System.Globalization.CultureInfo.InvariantCulture)]], 0);
        }

        if (cursor.TryWords("ORDER", "BY"))
        {
            IOrderedEnumerable<object?[]>? ordered = null;
            do
            {
                int ordinal = table.Ordinal(cursor.Identifier());
                bool descending = cursor.TryWord("DESC");
                cursor.TryWord("ASC");
                Func<object?[], object?> key = r => r[ordinal];
                ordered = ordered is null
                    ? (descending ? rows.OrderByDescending(key, ValueComparer.Instance) : rows.OrderBy(key, ValueComparer.Instance))
                    : (descending ? ordered.ThenByDescending(key, ValueComparer.Instance) : ordered.ThenBy(key, ValueComparer.Instance));
            }
            while (cursor.TrySymbol(","));
            rows = ordered;
        }

        if (cursor.TryWord("LIMIT"))
        {
            rows = rows.Take(int.Parse(cursor.Literal().Text, System.Globalization.CultureInfo.InvariantCulture));
        }

        cursor.End();
        int[] ordinals = items.Any(i => i.IsSymbol("*"))
            ? [.. Enumerable.Range(0, table.Columns.Count)]
            : [.. items.Select(i => table.Ordinal(i.Text))];
        return new StatementResult(
            [.. ordinals.Select(o => (table.Columns[o].Name, table.Columns[o].DisplayType))],
            [.. rows.Select(r => ordinals.Select(o => EmulatedColumn.Render(r[o])).ToArray())],
            0);
    }

    /// <summary>WHERE: conjunctions of <c>col op literal</c> and <c>col IN (literals)</c>.</summary>
    private static Func<object?[], bool> Where(EmulatedTable table, SqlCursor cursor)
    {
        var tests = new List<Func<object?[], bool>>();
        do
        {
            int ordinal = table.Ordinal(cursor.Identifier());
            EmulatedColumn column = table.Columns[ordinal];
            if (cursor.TryWord("IN"))
            {
                cursor.Symbol("(");
                var set = new List<object?>();
                do
                {
                    set.Add(column.FromLiteral(cursor.Literal()));
                }
                while (cursor.TrySymbol(","));
                cursor.Symbol(")");
                tests.Add(r => set.Any(v => ValueComparer.Instance.Compare(r[ordinal], v) == 0));
                continue;
            }

            string op = cursor.Next().Text;
            object? value = column.FromLiteral(cursor.Literal());
            Func<int, bool> accept = op switch
            {
                "=" => c => c == 0,
                "!=" or "<>" => c => c != 0,
                "<" => c => c < 0,
                "<=" => c => c <= 0,
                ">" => c => c > 0,
                ">=" => c => c >= 0,
                _ => throw new EmulatorException(1005, $"the emulator does not support operator {op}"),
            };
            tests.Add(r => r[ordinal] is not null && accept(ValueComparer.Instance.Compare(r[ordinal], value)));
        }
        while (cursor.TryWord("AND"));

        return row => tests.All(t => t(row));
    }

    /// <summary>
    /// <c>UPDATE t SET col = literal [, ...] [WHERE ...]</c>. Answers one row, "number of rows
    /// updated" (databendlabs/databend: src/query/sql/src/planner/plans/mutation.rs, UPDATE_NAME;
    /// interpreters/interpreter_mutation.rs, get_mutation_table_result). Every segment holding
    /// a matched row is rewritten, which is what makes a concurrent UPDATE of the same row
    /// fail at COMMIT.
    /// </summary>
    private StatementResult Update(Transaction txn, SqlCursor cursor)
    {
        EmulatedTable table = Table(cursor.TableName());
        cursor.Word("SET");
        var assignments = new List<(int Ordinal, object? Value)>();
        do
        {
            int ordinal = table.Ordinal(cursor.Identifier());
            cursor.Symbol("=");
            if (assignments.Any(a => a.Ordinal == ordinal))
            {
                // 03_0035_update.test: "UPDATE t1 SET a = 3, a = 4" fails with 1006.
                throw new EmulatorException(1006, $"multiple assignments to column {table.Columns[ordinal].Name}");
            }

            assignments.Add((ordinal, table.Columns[ordinal].FromLiteral(cursor.Literal())));
        }
        while (cursor.TrySymbol(","));

        Func<object?[], bool> where = cursor.TryWord("WHERE") ? Where(table, cursor) : _ => true;
        cursor.End();
        int updated = Touch(txn, table).Rewrite(row =>
        {
            if (!where(row))
            {
                return row;
            }

            object?[] copy = (object?[])row.Clone();
            foreach ((int ordinal, object? value) in assignments)
            {
                copy[ordinal] = value;
            }

            return copy;
        });
        return new StatementResult([("number of rows updated", "UInt64")], [[updated.ToString(System.Globalization.CultureInfo.InvariantCulture)]], updated);
    }

    /// <summary>INSERT INTO t [(cols)] VALUES ...; with keys, REPLACE INTO t [(cols)] ON (keys) VALUES ... (upsert by key).</summary>
    private StatementResult Insert(Transaction txn, SqlCursor cursor, List<int>? replaceKeys)
    {
        EmulatedTable table = Table(cursor.TableName());
        int[] ordinals = [.. Enumerable.Range(0, table.Columns.Count)];
        if (cursor.TrySymbol("("))
        {
            var listed = new List<int>();
            do
            {
                listed.Add(table.Ordinal(cursor.Identifier()));
            }
            while (cursor.TrySymbol(","));
            cursor.Symbol(")");
            ordinals = [.. listed];
        }

        if (replaceKeys is not null)
        {
            cursor.Word("ON");
            cursor.Symbol("(");
            do
            {
                replaceKeys.Add(table.Ordinal(cursor.Identifier()));
            }
            while (cursor.TrySymbol(","));
            cursor.Symbol(")");
        }

        cursor.Word("VALUES");
        var rows = new List<object?[]>();
        do
        {
            cursor.Symbol("(");
            var row = table.Columns.Select(c => c.Default).ToArray();
            for (int i = 0; i < ordinals.Length; i++)
            {
                if (i > 0)
                {
                    cursor.Symbol(",");
                }

                row[ordinals[i]] = table.Columns[ordinals[i]].FromLiteral(cursor.Literal());
            }

            cursor.Symbol(")");
            rows.Add(row);
        }
        while (cursor.TrySymbol(","));
        cursor.End();

        TxnTable state = Touch(txn, table);
        if (replaceKeys is not null)
        {
            // REPLACE INTO deletes the rows with a matching key (rewriting their segments) and
            // appends the new rows (storages/fuse/src/operations/replace_into/mutator/replace_into_operation_agg.rs).
            // A key that no row holds yet rewrites nothing: the statement is a plain append.
            state.Rewrite(r => rows.Any(row => replaceKeys.All(k => ValueComparer.Instance.Compare(r[k], row[k]) == 0)) ? null : r);
        }

        state.Append(rows);

        return new StatementResult([], [], rows.Count);
    }

    /// <summary>
    /// COPY INTO t FROM @stage[/path] [FILES=(...)] FILE_FORMAT=(TYPE=NDJSON [COMPRESSION=...]
    /// [MISSING_FIELD_AS=...]) [ON_ERROR=...] [PURGE=...] [FORCE=...]. Result columns File,
    /// Rows_loaded, Errors_seen, First_error, First_error_line (Databend docs, COPY INTO table,
    /// "Output"). Files in the table's load history are skipped and not reported.
    /// </summary>
    private async Task<StatementResult> CopyAsync(Transaction txn, SqlCursor cursor, CancellationToken cancellationToken)
    {
        EmulatedTable table = Table(cursor.TableName());
        cursor.Word("FROM");
        SqlToken stageRef = cursor.Next();
        if (stageRef.Kind != SqlTokenKind.StageReference)
        {
            throw new EmulatorException(1005, "the emulator supports COPY INTO table FROM @stage only (no SELECT transform)");
        }

        string[] stageParts = SplitStageReference(stageRef.Text);
        EmulatedStage stage = _stages.TryGetValue(stageParts[0], out EmulatedStage? s) ? s : throw new EmulatorException(2501, $"Unknown stage '{stageParts[0]}'");
        string folder = stageParts.Length > 1 ? stageParts[1] : string.Empty;
        List<string>? files = null;
        string compression = "AUTO", missingFieldAs = "ERROR", onError = "ABORT";
        bool purge = false, force = false;
        while (!cursor.AtEnd)
        {
            string option = cursor.Identifier().ToUpperInvariant();
            cursor.Symbol("=");
            switch (option)
            {
                case "FILES":
                    cursor.Symbol("(");
                    files = [];
                    do
                    {
                        files.Add(cursor.Literal().Text);
                    }
                    while (cursor.TrySymbol(","));
                    cursor.Symbol(")");
                    if (files.Count > 15_000)
                    {
                        // Databend limits FILES to 15,000 entries (docs, COPY INTO table, FILES).
                        throw new EmulatorException(1005, "FILES can hold at most 15000 files");
                    }

                    break;
                case "FILE_FORMAT":
                    cursor.Symbol("(");
                    while (!cursor.TrySymbol(")"))
                    {
                        string key = cursor.Identifier().ToUpperInvariant();
                        cursor.Symbol("=");
                        string value = cursor.Next().Text.ToUpperInvariant();
                        switch (key)
                        {
                            case "TYPE" when value != "NDJSON":
                                throw new EmulatorException(1005, $"the emulator supports FILE_FORMAT TYPE = NDJSON only, not {value}");
                            case "COMPRESSION":
                                compression = value;
                                break;
                            case "MISSING_FIELD_AS":
                                missingFieldAs = value;
                                break;
                        }

                        cursor.TrySymbol(",");
                    }

                    break;
                case "ON_ERROR":
                    onError = cursor.Next().Text.ToUpperInvariant();
                    break;
                case "PURGE":
                    purge = cursor.Next().IsWord("TRUE");
                    break;
                case "FORCE":
                    force = cursor.Next().IsWord("TRUE");
                    break;
                default:
                    cursor.Next();
                    break;
            }
        }

        string prefix = stage.Root + (folder.Length == 0 || folder.EndsWith('/') ? folder : folder + "/");
        if (files is null)
        {
            files = [];
            await foreach (BlobItem item in stage.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
            {
                files.Add(item.Name[prefix.Length..]);
            }
        }

        DateTimeOffset now = time.GetUtcNow();
        TxnTable state = Touch(txn, table);
        var copied = new List<object?[]>();
        var results = new List<string?[]>();
        long loaded = 0;
        foreach (string file in files)
        {
            string blob = prefix + file;
            string historyKey = $"{stage.Name}/{blob}";
            if (!force && table.LoadHistory.TryGetValue(historyKey, out DateTimeOffset loadedAt) && now - loadedAt < LoadHistoryExpiry)
            {
                continue;
            }

            (List<object?[]> rows, int errors, string? firstError, long? firstErrorLine) =
                await ReadFileAsync(stage, blob, table, compression, missingFieldAs, cancellationToken).ConfigureAwait(false);
            if (errors > 0 && onError == "ABORT")
            {
                // ErrorCode::BadBytes (1046) with the detail "at file '{path}', line {n}", n counted
                // from 0 (databendlabs/databend: src/common/storage/src/copy.rs, FileParseErrorAtLine::to_error_code;
                // the row id comes from enumerate() in storages/stage/src/read/row_based/formats/ndjson/block_builder.rs),
                // while First_error_line counts from 1 (interpreters/interpreter_copy_into_table.rs: line + 1).
                throw new EmulatorException(1046, firstError ?? "bad bytes", $"at file '{blob[stage.Root.Length..]}', line {firstErrorLine - 1}");
            }

            if (errors > 0 && onError == "SKIP_FILE")
            {
                rows.Clear();
            }

            copied.AddRange(rows);
            loaded += rows.Count;
            if (!force)
            {
                // FORCE loads without recording (docs: FORCE ... "ignore the load history").
                txn.LoadedFiles.Add((table.Name, historyKey));
            }

            if (purge && (errors == 0 || onError == "CONTINUE"))
            {
                txn.Purges.Add((stage, blob));
            }

            results.Add([file, rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), errors.ToString(System.Globalization.CultureInfo.InvariantCulture), firstError, firstErrorLine?.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        state.Append(copied);
        return new StatementResult(
            [("File", "String"), ("Rows_loaded", "Int32"), ("Errors_seen", "Int32"), ("First_error", "Nullable(String)"), ("First_error_line", "Nullable(Int32)")],
            results,
            loaded);
    }

    private static async Task<(List<object?[]> Rows, int Errors, string? FirstError, long? FirstErrorLine)> ReadFileAsync(
        EmulatedStage stage, string blob, EmulatedTable table, string compression, string missingFieldAs, CancellationToken cancellationToken)
    {
        using var raw = new MemoryStream();
        try
        {
            await stage.Container.GetBlobClient(blob).DownloadToAsync(raw, cancellationToken).ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            throw new EmulatorException(1006, $"file {blob} not found in stage {stage.Name}");
        }

        raw.Position = 0;
        string kind = compression == "AUTO"
            ? blob.EndsWith(".zst", StringComparison.Ordinal) ? "ZSTD" : blob.EndsWith(".gz", StringComparison.Ordinal) ? "GZIP" : "NONE"
            : compression;
        string text;
        try
        {
            using Stream decompressed = kind switch
            {
                "ZSTD" => new ZstdSharp.DecompressionStream(raw),
                "GZIP" => new GZipStream(raw, CompressionMode.Decompress),
                "NONE" => raw,
                _ => throw new EmulatorException(1005, $"the emulator does not support COMPRESSION = {kind}"),
            };
            using var reader = new StreamReader(decompressed, new UTF8Encoding(false, throwOnInvalidBytes: true));
            text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or DecoderFallbackException or ZstdSharp.ZstdException)
        {
            if (e is DecoderFallbackException)
            {
                return ([], 1, $"invalid UTF-8: {e.Message}", 1);
            }

            // A stream that does not decompress fails the statement with InvalidCompressionData
            // (1076), naming no line (databendlabs/databend: src/common/compress/src/decode.rs).
            throw new EmulatorException(1076, $"compression data invalid: {e.Message}");
        }

        var rows = new List<object?[]>();
        int errors = 0;
        string? firstError = null;
        long? firstErrorLine = null;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            NdjsonLine? line = NdjsonLineParser.ParseRow(lines[i]);
            if (line is null)
            {
                continue;
            }

            string? error = null;
            object?[] row = new object?[table.Columns.Count];
            try
            {
                // Columns are matched to fields by name (docs, NDJSON: "fields ... matched by column name").
                JsonObject obj = (line.Error is null ? line.Value : throw new JsonException(line.Error)) as JsonObject ?? throw new JsonException("the line is not a JSON object");
                for (int c = 0; c < table.Columns.Count && error is null; c++)
                {
                    EmulatedColumn column = table.Columns[c];
                    if (obj.TryGetPropertyValue(column.Name, out JsonNode? node))
                    {
                        row[c] = column.FromJson(node, out error);
                    }
                    else
                    {
                        (row[c], error) = missingFieldAs switch
                        {
                            "NULL" => column.Nullable ? (null, null) : (null, $"missing field {column.Name} for NOT NULL column"),
                            "FIELD_DEFAULT" => (column.Default, null),
                            _ => ((object?)null, $"missing field {column.Name}"),
                        };
                    }
                }
            }
            catch (JsonException e)
            {
                error = "invalid JSON: " + e.Message;
            }

            if (error is null)
            {
                rows.Add(row);
            }
            else
            {
                errors++;
                firstError ??= error;
                // First_error_line counts from 1 (interpreter_copy_into_table.rs: line + 1).
                firstErrorLine ??= i + 1;
            }
        }

        return (rows, errors, firstError, firstErrorLine);
    }

    /// <summary>Orders and compares stored values of one column (null first).</summary>
    private sealed class ValueComparer : IComparer<object?>
    {
        public static readonly ValueComparer Instance = new();

        public int Compare(object? x, object? y) => (x, y) switch
        {
            (null, null) => 0,
            (null, _) => -1,
            (_, null) => 1,
            (string a, string b) => string.CompareOrdinal(a, b),
            (IComparable a, _) => a.CompareTo(y),
            _ => 0,
        };
    }
}
