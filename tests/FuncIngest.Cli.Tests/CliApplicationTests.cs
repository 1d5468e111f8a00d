using System.CommandLine;

namespace FuncIngest.Cli.Tests;

public sealed class CliApplicationTests
{
    [Fact]
    public async Task Help_describes_the_tool_and_exits_zero()
    {
        var output = new StringWriter();
        ParseResult parse = CliApplication.BuildRootCommand().Parse(["--help"]);

        int exit = await parse.InvokeAsync(new InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("Databend", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_command_fails_with_a_message()
    {
        var error = new StringWriter();
        ParseResult parse = CliApplication.BuildRootCommand().Parse(["no-such-command"]);

        int exit = await parse.InvokeAsync(new InvocationConfiguration { Error = error }, TestContext.Current.CancellationToken);

        Assert.NotEqual(0, exit);
        Assert.Contains("no-such-command", error.ToString(), StringComparison.Ordinal);
    }
}
