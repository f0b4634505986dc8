namespace VSwitch.EndToEnd.Tests;

/// <summary>End-to-end labs share the machine's network stack and CPUs: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabCollection
{
    public const string Name = "lab";
}

/// <summary>Fails fast with a clear reason when the suite is not run as root (CI runs as root).</summary>
internal static class Root
{
    public static void Require()
    {
        if (Environment.UserName != "root" && Shell.Run("id -u").Stdout.Trim() != "0")
        {
            throw new InvalidOperationException("end-to-end tests need root (network namespaces, TAP devices, packet sockets); run scripts/test.sh as root");
        }
    }
}
