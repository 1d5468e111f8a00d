using FuncIngest.TestSupport.Databend;
using Microsoft.Extensions.DependencyInjection;

namespace Databend.Client.Tests;

/// <summary>Where the client sends credentials and data, and what server text reaches its exceptions (issue 21, parts 2 and 3).</summary>
public sealed class TrustBoundaryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string, string)[] s_presignSchema = [("method", "String"), ("headers", "Variant"), ("url", "String")];

    [Theory]
    [InlineData("http://127.0.0.1:{other}/v1/query/q1/page/1")]
    [InlineData("//127.0.0.1:{other}/v1/query/q1/page/1")]
    [InlineData("/v1/../elsewhere")]
    [InlineData("v1/query/q1/page/1")]
    public async Task A_next_uri_off_the_configured_origin_or_outside_v1_is_refused_and_never_followed(string nextUri)
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        await using FakeDatabendServer other = await FakeDatabendServer.StartAsync();
        string uri = nextUri.Replace("{other}", other.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        server.ReplyJson(DatabendResponses.Page("q1", "Running", nextUri: uri));
        await using var client = new DatabendClient(server.Dsn("max_retries=0"));

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));

        Assert.Contains("outside its query API", e.Message, StringComparison.Ordinal);
        Assert.Empty(other.Requests);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_body_and_credentials_stay_with_the_server()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        await using FakeDatabendServer other = await FakeDatabendServer.StartAsync();
        server.Reply(new FakeReply { Status = 307, Location = new Uri(other.BaseAddress, "v1/query").ToString() });
        other.ReplyJson(DatabendResponses.Page("q1"));
        await using var client = new DatabendClient(server.Dsn("max_retries=0"));

        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("CREATE STAGE s URL='azblob://c/' CONNECTION=(ACCOUNT_KEY='k')", Ct));

        Assert.Empty(other.Requests);
    }

    [Theory]
    [InlineData("http://169.254.169.254/metadata/identity/oauth2/token")]
    [InlineData("ftp://127.0.0.1/x")]
    [InlineData("https://user:pw@storage.example/x")]
    public async Task A_presigned_url_that_is_not_https_or_loopback_http_is_refused(string url)
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("p", schema: s_presignSchema, data: [["PUT", "{\"Metadata\":\"true\"}", url]]));
        server.ReplyJson(DatabendResponses.Final("p"));
        await using var client = new DatabendClient(server.Dsn());

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.UploadToStageAsync("s", "t/0/f.ndjson", new MemoryStream([1]), Ct));

        Assert.Contains("PRESIGN UPLOAD", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task A_presigned_request_carries_storage_headers_only_and_is_not_redirected()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        await using FakeDatabendServer other = await FakeDatabendServer.StartAsync();
        string url = new Uri(server.BaseAddress, "upload/here?sig=abc").ToString();
        server.ReplyJson(DatabendResponses.Page("p", schema: s_presignSchema, data: [["PUT", "{\"x-ms-blob-type\":\"BlockBlob\",\"Metadata\":\"true\",\"Authorization\":\"Bearer x\"}", url]]));
        server.ReplyJson(DatabendResponses.Final("p"));
        server.Reply(new FakeReply { Status = 201 });
        server.ReplyJson(DatabendResponses.Page("p2", schema: s_presignSchema, data: [["PUT", "{}", url]]));
        server.ReplyJson(DatabendResponses.Final("p2"));
        server.Reply(new FakeReply { Status = 307, Location = new Uri(other.BaseAddress, "stolen").ToString() });
        await using var client = new DatabendClient(server.Dsn());

        await client.UploadToStageAsync("s", "t/0/f.ndjson", new MemoryStream([1]), Ct);
        await Assert.ThrowsAsync<DatabendException>(() => client.UploadToStageAsync("s", "t/0/g.ndjson", new MemoryStream([1]), Ct));

        RecordedRequest put = server.Requests[2];
        Assert.Equal("BlockBlob", put.Header("x-ms-blob-type"));
        Assert.Null(put.Header("Metadata"));
        Assert.Null(put.Header("Authorization"));
        Assert.Empty(other.Requests);
    }

    [Theory]
    [InlineData("{\"id\":\"q\",\"state\":\"Failed\",\"error\":{\"code\":99999999999,\"message\":\"m\"}}")]
    [InlineData("{\"id\":\"q\",\"state\":\"Succeeded\",\"stats\":{\"scan_progress\":{\"rows\":1.5,\"bytes\":0}}}")]
    [InlineData("[1,2]")]
    public async Task A_malformed_answer_is_a_DatabendException(string body)
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(body);
        await using var client = new DatabendClient(server.Dsn("max_retries=0"));

        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));
    }

    [Fact]
    public async Task A_malformed_error_body_of_an_http_error_is_a_DatabendException()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson("{\"error\":{\"code\":99999999999,\"message\":\"m\"}}", 400);
        await using var client = new DatabendClient(server.Dsn("max_retries=0"));

        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));
    }

    [Fact]
    public async Task An_answer_larger_than_MaxResponseBytes_is_refused()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("q", schema: [("s", "String")], data: [[new string('x', 200_000)]]));
        DatabendClientOptions options = DatabendDsn.Parse(server.Dsn("max_retries=0"));
        options.MaxResponseBytes = 64 * 1024;
        await using var client = new DatabendClient(options);

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT s", Ct));

        Assert.Contains("MaxResponseBytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_in_server_messages_and_bodies_are_redacted_and_sql_never_appears()
    {
        const string key = "Zm9vYmFyS2V5U2VjcmV0PT0+/abc==";
        string sql = $"CREATE STAGE s URL = 'azblob://c/' CONNECTION = (ACCOUNT_KEY = '{key}')";
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("q1", "Failed", nextUri: null, error: (1005, $"error: syntax near {sql} (user root:s3cret)", $"at {key}")));
        server.ReplyJson("{\"id\":\"q2\",\"state\":\"Failed\"}");
        server.ReplyJson($"<html>bad gateway for {key}</html>", 400);
        await using var client = new DatabendClient(server.Dsn("max_retries=0"));
        client.AddSecret(key);

        DatabendException echoed = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync(sql, Ct));
        DatabendException silent = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync(sql, Ct));
        DatabendException body = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync(sql, Ct));

        foreach (DatabendException e in new[] { echoed, silent, body })
        {
            string all = e.ToString() + e.Detail;
            Assert.DoesNotContain(key, all, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret", all, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("CREATE STAGE", silent.Message, StringComparison.Ordinal);
        Assert.Contains("***", echoed.Message, StringComparison.Ordinal);
        Assert.Contains("***", body.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_handler_for_callers_http_clients_does_not_follow_redirects() =>
        Assert.False(DatabendClient.CreateHttpHandler(null).AllowAutoRedirect);

    [Fact]
    public async Task The_DI_registered_client_does_not_follow_redirects()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        await using FakeDatabendServer other = await FakeDatabendServer.StartAsync();
        server.Reply(new FakeReply { Status = 307, Location = new Uri(other.BaseAddress, "v1/query").ToString() });
        await using ServiceProvider provider = new ServiceCollection().AddDatabendClient(server.Dsn("max_retries=0")).BuildServiceProvider();
        await using DatabendClient client = provider.GetRequiredService<DatabendClient>();

        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));

        Assert.Empty(other.Requests);
    }
}
