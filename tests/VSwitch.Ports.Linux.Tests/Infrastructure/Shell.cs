using System.Diagnostics;

namespace VSwitch.Ports.Linux.Tests.Infrastructure;

/// <summary>Runs commands (mostly <c>ip</c>) with a time limit; every call is bounded.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="file"/> with whitespace-separated <paramref name="args"/>.</summary>
    public static (int Code, string Output) Run(string file, string args, int timeoutMs = 10_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, $"{file} {args}: timed out after {timeoutMs} ms");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs <c>ip ARGS</c> and returns its output; throws when it fails.</summary>
    public static string Ip(string args)
    {
        var (code, output) = Run("ip", args);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {args} failed ({code}): {output}");
        }
        return output;
    }

    /// <summary>Runs <c>ip ARGS</c>; true when it succeeded.</summary>
    public static bool TryIp(string args) => Run("ip", args).Code == 0;

    /// <summary>Starts a process in the background (the caller kills and disposes it).</summary>
    public static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    public static bool IsRoot => Environment.IsPrivilegedProcess;
}
