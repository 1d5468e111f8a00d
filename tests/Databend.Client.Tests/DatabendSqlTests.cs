namespace Databend.Client.Tests;

public sealed class DatabendSqlTests
{
    [Theory]
    [InlineData("events", "`events`")]
    [InlineData("_t1", "`_t1`")]
    public void Plain_identifiers_are_quoted(string name, string quoted) => Assert.Equal(quoted, DatabendSql.QuoteIdentifier(name));

    [Theory]
    [InlineData("events; DROP TABLE x")]
    [InlineData("ev`ents")]
    [InlineData("1abc")]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("tbl\"")]
    public void Anything_else_is_rejected(string name) =>
        Assert.Throws<ArgumentException>(() => DatabendSql.QuoteIdentifier(name, "The table name"));

    [Fact]
    public void Qualified_names_quote_each_part_and_reject_three()
    {
        Assert.Equal("`db`.`t`", DatabendSql.QuoteQualifiedName("db.t"));
        Assert.Throws<ArgumentException>(() => DatabendSql.QuoteQualifiedName("a.b.c"));
    }

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it''s'")]
    [InlineData(@"back\slash", @"'back\\slash'")]
    [InlineData(@"\'; DROP", @"'\\''; DROP'")]
    public void String_literals_escape_quotes_and_backslashes(string value, string literal) =>
        Assert.Equal(literal, DatabendSql.QuoteString(value));

    [Theory]
    [InlineData("stage/t/topic/0/00000000000000000000-00000000000000000009.ndjson.zst", true)]
    [InlineData("a b", false)]
    [InlineData("../etc", false)]
    [InlineData("x';", false)]
    public void Stage_paths_are_restricted(string path, bool valid) => Assert.Equal(valid, DatabendSql.IsValidStagePath(path));
}
