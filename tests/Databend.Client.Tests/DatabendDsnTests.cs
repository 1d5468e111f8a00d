namespace Databend.Client.Tests;

public sealed class DatabendDsnTests
{
    [Fact]
    public void Parses_every_part_and_keeps_unknown_keys_as_session_settings()
    {
        DatabendClientOptions o = DatabendDsn.Parse(
            "databend://us%40er:p%3Ass%2Fw@db.example.com:8000/analytics?sslmode=disable&warehouse=wh1&tenant=t1&role=loader"
            + "&timeout=30s&connect_timeout=500ms&wait_time_secs=5&max_rows_per_page=1000&max_retries=2&retry_delay=1&timezone=UTC");

        Assert.Equal("us@er", o.User);
        Assert.Equal("p:ss/w", o.Password);
        Assert.Equal("db.example.com", o.Host);
        Assert.Equal(8000, o.EffectivePort);
        Assert.False(o.UseTls);
        Assert.Equal("analytics", o.Database);
        Assert.Equal("wh1", o.Warehouse);
        Assert.Equal("t1", o.Tenant);
        Assert.Equal("loader", o.Role);
        Assert.Equal(TimeSpan.FromSeconds(30), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.ConnectTimeout);
        Assert.Equal(5, o.WaitTimeSeconds);
        Assert.Equal(1000, o.MaxRowsPerPage);
        Assert.Equal(2, o.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(1), o.RetryDelay);
        Assert.Equal("UTC", Assert.Single(o.Settings).Value);
        Assert.Equal(new Uri("http://db.example.com:8000/"), o.BaseAddress);
    }

    [Theory]
    [InlineData("databend://u:p@host", true, 443)]
    [InlineData("databend://u:p@host?sslmode=disable", false, 80)]
    [InlineData("databend+https://u:p@host", true, 443)]
    [InlineData("databend+http://u:p@host", false, 80)]
    [InlineData("databend+http://u:p@host:8000?sslmode=require", false, 8000)]
    public void Scheme_and_sslmode_choose_tls_and_default_port(string dsn, bool tls, int port)
    {
        DatabendClientOptions o = DatabendDsn.Parse(dsn);
        Assert.Equal(tls, o.UseTls);
        Assert.Equal(port, o.EffectivePort);
    }

    [Fact]
    public void Access_token_is_read_and_user_may_be_absent()
    {
        DatabendClientOptions o = DatabendDsn.Parse("databend://host/db?access_token=abc.def");
        Assert.Equal("abc.def", o.AccessToken);
        Assert.Null(o.User);
        o.Validate();
    }

    [Fact]
    public void Password_and_token_never_appear_in_ToString()
    {
        DatabendClientOptions o = DatabendDsn.Parse("databend://root:TopSecret1@h:8000/d?access_token=TokenSecret2&sslmode=disable");
        string text = o.ToString();
        Assert.DoesNotContain("TopSecret1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TokenSecret2", text, StringComparison.Ordinal);
        Assert.Contains("root:***@h:8000/d", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://u:p@h", "scheme")]
    [InlineData("not a uri", "not a URI")]
    [InlineData("databend://u:p@h?wait_time_secs=soon", "wait_time_secs")]
    [InlineData("databend://u:p@h?timeout=-3", "timeout")]
    public void Malformed_dsns_fail_with_the_reason_and_without_the_password(string dsn, string reason)
    {
        FormatException e = Assert.Throws<FormatException>(() => DatabendDsn.Parse(dsn));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("databend://h", "User")]
    [InlineData("databend://u@h?wait_time_secs=0", "WaitTimeSeconds")]
    [InlineData("databend://u@h?max_retries=-1", "MaxRetries")]
    public void Validation_names_the_bad_setting(string dsn, string setting)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => DatabendDsn.Parse(dsn).Validate());
        Assert.Equal(setting, e.ParamName);
    }
}
