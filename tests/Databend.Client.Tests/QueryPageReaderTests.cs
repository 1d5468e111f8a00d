using System.Text;
using Databend.Client.Internal;
using FuncIngest.TestSupport.Databend;

namespace Databend.Client.Tests;

public sealed class QueryPageReaderTests
{
    [Fact]
    public void Rows_wider_or_narrower_than_the_schema_and_data_without_schema_keep_every_value()
    {
        string json = """
            {"id":"q","schema":[{"name":"a","type":"Int32"},{"name":"b","type":"String"}],
             "data":[["1","x"],["2","y","extra","more"],["3"],[null,"z"]],"next_uri":null}
            """;

        QueryPage page = QueryPageReader.Read(Encoding.UTF8.GetBytes(json));

        Assert.Equal("1|x", Cells(page.Data[0]));
        Assert.Equal("2|y|extra|more", Cells(page.Data[1]));
        Assert.Equal("3", Cells(page.Data[2]));
        Assert.Equal("<null>|z", Cells(page.Data[3]));

        QueryPage noSchema = QueryPageReader.Read("""{"data":[["a","b","c"],["d"]]}"""u8.ToArray());
        Assert.Equal("a|b|c", Cells(noSchema.Data[0]));
        Assert.Equal("d", Cells(noSchema.Data[1]));
    }

    [Fact]
    public void Old_servers_unquoted_numbers_and_nested_values_are_kept_as_text()
    {
        QueryPage page = QueryPageReader.Read("""{"schema":[{"name":"a","type":"x"},{"name":"b","type":"y"},{"name":"c","type":"z"}],"data":[[1,true,{"k":[1,2]}]]}"""u8.ToArray());

        Assert.Equal("""1|true|{"k":[1,2]}""", Cells(page.Data[0]));
    }

    [Fact]
    public void The_session_is_captured_byte_for_byte_with_txn_state_and_need_sticky()
    {
        string session = """{"database":"d","txn_state":"Active","need_sticky":true,"internal":"{\"a\":\"b\"}","x":{"y":[1,{"z":null}]}}""";
        QueryPage page = QueryPageReader.Read(Encoding.UTF8.GetBytes("""{"id":"q","session":""" + session + ""","next_uri":null}"""));

        Assert.Equal(session, Encoding.UTF8.GetString(page.Session!));
        Assert.Equal("Active", page.TxnState);
        Assert.True(page.NeedSticky);
    }

    [Fact]
    public void A_full_databend_page_reads_ids_uris_and_stats()
    {
        string json = DatabendResponses.Page("qid", "Succeeded", [("n", "Int64")], [["1"]], nextUri: "final", nodeId: "node-9", writeRows: 12);

        QueryPage page = QueryPageReader.Read(Encoding.UTF8.GetBytes(json));

        Assert.Equal(("qid", "node-9", "Succeeded"), (page.Id, page.NodeId, page.State));
        Assert.Equal("/v1/query/qid/final", page.NextUri);
        Assert.Equal("/v1/query/qid/kill", page.KillUri);
        Assert.Equal(12, page.Stats.WriteRows);
        Assert.Null(page.Error);
    }

    private static string Cells(string?[] row) => string.Join('|', row.Select(v => v ?? "<null>"));
}
