using System.Diagnostics;

namespace FuncIngest.Cli.Tests;

/// <summary>Runs the real <c>funcingest</c> executable: what librdkafka writes to the process's own stderr shows only there.</summary>
internal static class CliProcess
{
    public static Process Start(StringWriter log, IEnumerable<string> args, bool separateStreams = false, StringWriter? stdout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The default files (appsettings.json, local.settings.json) must not come from the test's directory.
            WorkingDirectory = Path.GetTempPath(),
        };
        // The CLI's own build output: it has every dependency the tool ships with.
        string cliOutput = AppContext.BaseDirectory.Replace(
            Path.Combine("tests", "FuncIngest.Cli.Tests"), Path.Combine("src", "FuncIngest.Cli"), StringComparison.Ordinal);
        start.ArgumentList.Add(Path.Combine(cliOutput, "funcingest.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        StringWriter outTo = separateStreams && stdout is not null ? stdout : log;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { outTo.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task<(int Exit, string Output, TimeSpan Elapsed)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var log = new StringWriter();
        var clock = Stopwatch.StartNew();
        using Process process = Start(log, args);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw new TimeoutException($"funcingest {string.Join(' ', args)} did not exit within {timeout}: {log}");
        }

        process.WaitForExit(); // flushes the redirected streams
        lock (log)
        {
            return (process.ExitCode, log.ToString(), clock.Elapsed);
        }
    }

    /// <summary>Sends SIGTERM (Process.Kill sends SIGKILL, which cannot be handled).</summary>
    public static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }
}
