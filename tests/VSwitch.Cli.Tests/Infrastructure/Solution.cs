namespace VSwitch.Cli.Tests.Infrastructure;

/// <summary>Finds the binaries built beside the tests (same configuration as the test assembly).</summary>
internal static class Solution
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VSwitch.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("VSwitch.sln not found above the test directory");
        }
    }

    public static string Configuration => AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>A built executable, e.g. <c>vswitch/VSwitch.Daemon</c> + <c>vswitchd</c>.</summary>
    public static string Executable(string project, string name)
    {
        var exe = Path.Combine(Root, project, "bin", Configuration, "net10.0", name);
        return File.Exists(exe) ? exe : throw new InvalidOperationException($"{exe} is missing: build the solution first (scripts/test.sh does)");
    }
}
