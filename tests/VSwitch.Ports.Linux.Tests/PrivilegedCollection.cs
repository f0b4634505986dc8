namespace VSwitch.Ports.Linux.Tests;

/// <summary>Privileged tests run one at a time: they share the machine's kernel and two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PrivilegedCollection
{
    public const string Name = "Privileged";
}
