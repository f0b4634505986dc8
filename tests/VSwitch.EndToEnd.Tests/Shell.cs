using System.Diagnostics;

namespace VSwitch.EndToEnd.Tests;

/// <summary>Runs commands with a time limit and returns what they printed.</summary>
internal static class Shell
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public bool Ok => ExitCode == 0;

        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>Runs <paramref name="command"/> under <c>bash -c</c>; a command still running after the limit is killed.</summary>
    public static Result Run(string command, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var psi = new ProcessStartInfo("timeout", ["-k", "2", ((int)Math.Ceiling(limit.TotalSeconds)).ToString(), "bash", "-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a command that must succeed; the assertion message carries its output.</summary>
    public static string Must(string command, TimeSpan? timeout = null)
    {
        var r = Run(command, timeout);
        if (!r.Ok)
        {
            throw new InvalidOperationException($"command failed: {command}\n{r}");
        }
        return r.Stdout;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(100); // poll interval: the condition is another process's state, with no event to wait on
        }
        return condition();
    }
}
